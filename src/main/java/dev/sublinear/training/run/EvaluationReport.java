package dev.sublinear.training.run;

/**
 * Validation at a step.
 *
 * @param step optimizer steps done
 * @param validLoss mean loss over the validation set
 * @param accuracy fraction correct (classification), NaN for causal LM
 */
public record EvaluationReport(int step, float validLoss, float accuracy) {}
