package dev.sublinear.training.run;

import ai.djl.training.optimizer.Optimizer;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.optimizer.AdafactorOptions;
import dev.sublinear.optimizer.Adam;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The optimizer of a run and its step size. Adafactor (the default) takes every option of
 * {@link AdafactorOptions}; {@code adam} and {@code adamw} read its {@code beta1}, {@code beta2}
 * (unset: 0.999) and {@code weightDecay}. The learning rate says whether Adafactor takes its relative
 * step: {@code options.relativeStep()} always agrees with it.
 *
 * @param type adafactor, adam or adamw
 * @param learningRate the schedule; relative for Adafactor's own step size
 * @param options the optimizer's options
 */
public record OptimizerConfig(Type type, LearningRate learningRate, AdafactorOptions options) {

    /** Which optimizer. */
    public enum Type {
        ADAFACTOR,
        ADAM,
        ADAMW;

        /** The name clients use: adafactor, adam or adamw. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Type fromId(String id) {
            return Arrays.stream(values())
                    .filter(t -> t.id().equals(id))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown optimizer " + id));
        }
    }

    /** Adam's default second-moment decay, where the options leave beta2 unset. */
    private static final float ADAM_BETA2 = 0.999f;

    public OptimizerConfig {
        if (learningRate.relative() && type != Type.ADAFACTOR) {
            throw new IllegalArgumentException(
                    "the relative step size is Adafactor's; " + type.id() + " needs a learning rate");
        }
        if (options.relativeStep() != learningRate.relative()) {
            options = edit(options, b -> b.optRelativeStep(learningRate.relative()));
        }
    }

    /** Adafactor with the paper's defaults. */
    public static OptimizerConfig adafactor() {
        return new OptimizerConfig(Type.ADAFACTOR, LearningRate.RELATIVE, AdafactorOptions.defaults());
    }

    /** Adam at a constant rate, with beta1 0.9 and beta2 0.999. */
    public static OptimizerConfig adam(float learningRate) {
        return new OptimizerConfig(
                Type.ADAM,
                LearningRate.constant(learningRate),
                edit(AdafactorOptions.defaults(), b -> b.optBeta1(0.9f).optBeta2(ADAM_BETA2)));
    }

    /** AdamW at a constant rate, with beta1 0.9, beta2 0.999 and decoupled weight decay. */
    public static OptimizerConfig adamw(float learningRate, float weightDecay) {
        return new OptimizerConfig(
                Type.ADAMW,
                LearningRate.constant(learningRate),
                edit(
                        AdafactorOptions.defaults(),
                        b -> b.optBeta1(0.9f).optBeta2(ADAM_BETA2).optWeightDecays(weightDecay)));
    }

    /** These settings with options changed through Adafactor's builder, where the defaults live. */
    public OptimizerConfig withOptions(UnaryOperator<Adafactor.Builder> change) {
        return new OptimizerConfig(type, learningRate, edit(options, change));
    }

    public OptimizerConfig withLearningRate(LearningRate rate) {
        return new OptimizerConfig(type, rate, options);
    }

    /** Builds the optimizer for a run of {@code totalSteps} optimizer steps. */
    public Optimizer build(int totalSteps) {
        float beta2 = options.beta2() == null ? ADAM_BETA2 : options.beta2();
        return switch (type) {
            case ADAFACTOR -> {
                Adafactor.Builder b = Adafactor.builder().optOptions(options);
                if (!learningRate.relative()) {
                    b.optLearningRateTracker(learningRate.tracker(totalSteps));
                }
                yield b.build();
            }
            case ADAM ->
                Adam.builder()
                        .optBeta1(options.beta1())
                        .optBeta2(beta2)
                        .optLearningRateTracker(learningRate.tracker(totalSteps))
                        .build();
            case ADAMW ->
                Adam.adamWBuilder()
                        .optBeta1(options.beta1())
                        .optBeta2(beta2)
                        .optWeightDecays(options.weightDecay())
                        .optLearningRateTracker(learningRate.tracker(totalSteps))
                        .build();
        };
    }

    private static AdafactorOptions edit(AdafactorOptions options, UnaryOperator<Adafactor.Builder> change) {
        return change.apply(Adafactor.builder().optOptions(options)).options();
    }
}
