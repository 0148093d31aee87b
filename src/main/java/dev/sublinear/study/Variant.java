package dev.sublinear.study;

import dev.sublinear.training.run.LearningRate;
import dev.sublinear.training.run.LearningRate.Schedule;
import dev.sublinear.training.run.OptimizerConfig;
import java.util.List;
import java.util.function.Function;

/**
 * One row of the study's table, in the manner of the paper's Table 2.
 *
 * @param id short name used in files and plots
 * @param description what differs, in the paper's terms
 * @param optimizer the optimizer for a study of given settings
 */
public record Variant(String id, String description, Function<StudySettings, OptimizerConfig> optimizer) {

    public static final String ADAM = "adam";
    public static final String ADAM_NO_WARMUP = "adam-no-warmup";
    public static final String ADAFACTOR = "adafactor";
    public static final String FULL = "adafactor-full";
    public static final String MOMENTUM = "adafactor-momentum";
    public static final String SLOW_DECAY_NO_CLIP = "adafactor-b2-0.999-noclip";
    public static final String SLOW_DECAY_CLIP = "adafactor-b2-0.999-clip";
    public static final String DECAY_NO_CLIP = "adafactor-noclip";
    public static final String FIXED_RATE = "adafactor-fixed-lr";

    /** beta2 = 0.999 as in Adam: the paper's slow decay. */
    private static final float SLOW_BETA2 = 0.999f;

    /**
     * The variants, Adam first (with and without warm-up: the slow decay beta2 = 0.999 is Adam's). Adafactor rows
     * start from the paper's recommended setting (factored,
     * beta1 = 0, beta2_t = 1 - t^-0.8, d = 1, relative step with parameter scaling, no warm-up) and
     * change one thing each, except the slow-decay pair, which also drops the increasing decay.
     */
    public static List<Variant> table() {
        return List.of(
                new Variant(
                        ADAM,
                        "Adam, beta1 = 0.9, beta2 = 0.999, linear warm-up then a constant rate",
                        s -> OptimizerConfig.adam(s.learningRate())
                                .withLearningRate(
                                        new LearningRate(Schedule.CONSTANT, s.learningRate(), s.warmupSteps()))),
                new Variant(
                        ADAM_NO_WARMUP,
                        "the same without warm-up (for reference: no claim is judged on it)",
                        s -> OptimizerConfig.adam(s.learningRate())),
                new Variant(
                        ADAFACTOR,
                        "Adafactor as recommended: factored, beta1 = 0, beta2_t = 1 - t^-0.8, d = 1,"
                                + " relative step, no warm-up",
                        s -> OptimizerConfig.adafactor()),
                new Variant(
                        FULL,
                        "the same with the full (unfactored) second moment",
                        s -> OptimizerConfig.adafactor().withOptions(b -> b.optFactored(false))),
                new Variant(
                        MOMENTUM,
                        "the same with momentum, beta1 = 0.9",
                        s -> OptimizerConfig.adafactor().withOptions(b -> b.optBeta1(0.9f))),
                new Variant(
                        SLOW_DECAY_NO_CLIP,
                        "fixed beta2 = 0.999 (bias-corrected), no update clipping, no warm-up",
                        s -> OptimizerConfig.adafactor()
                                .withOptions(b -> b.optBeta2(SLOW_BETA2).optClipThreshold(Float.POSITIVE_INFINITY))),
                new Variant(
                        SLOW_DECAY_CLIP,
                        "fixed beta2 = 0.999 (bias-corrected), update clipping d = 1, no warm-up",
                        s -> OptimizerConfig.adafactor().withOptions(b -> b.optBeta2(SLOW_BETA2))),
                new Variant(
                        DECAY_NO_CLIP,
                        "beta2_t = 1 - t^-0.8, no update clipping, no warm-up",
                        s -> OptimizerConfig.adafactor().withOptions(b -> b.optClipThreshold(Float.POSITIVE_INFINITY))),
                new Variant(
                        FIXED_RATE,
                        "a fixed learning rate (Adam's rate and warm-up) instead of the relative step"
                                + " and parameter scaling",
                        s -> OptimizerConfig.adafactor()
                                .withOptions(b -> b.optScaleParameter(false))
                                .withLearningRate(
                                        new LearningRate(Schedule.CONSTANT, s.learningRate(), s.warmupSteps()))));
    }
}
