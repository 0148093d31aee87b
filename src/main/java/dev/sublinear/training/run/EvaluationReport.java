package dev.sublinear.training.run;

/**
 * Validation at a step.
 *
 * @param step optimizer steps done
 * @param validLoss mean loss over the validation set
 * @param accuracy over the whole validation set: the mean token accuracy (causal LM, counted as
 *     {@link StepReport#trainAccuracy} is) or the fraction of rows right (classification); NaN when
 *     nothing was counted
 */
public record EvaluationReport(int step, float validLoss, float accuracy) {}
