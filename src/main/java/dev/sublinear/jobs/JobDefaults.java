package dev.sublinear.jobs;

import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.optimizer.AdafactorOptions;
import java.lang.reflect.RecordComponent;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * Fills in what a request left out, and refuses combinations that make no sense together. The
 * optimizer's defaults and the rules between its options are {@link AdafactorOptions}'; the rules
 * here are about what a request gives together.
 */
final class JobDefaults {

    static final int CHECKPOINT_INTERVAL = 100;

    private JobDefaults() {}

    /**
     * For a pretrained base (a Hugging Face model, or one fine-tuned from one), fine-tuning rather
     * than training from scratch: Adafactor without its relative step and parameter scaling (both
     * made for random initialisation) at a small constant rate, no warm-up; Adam and AdamW at
     * transformers' Trainer rate. Chosen by measurement (docs/benchmarks.md, "pretrained-defaults":
     * MiniLM fine-tuned 20 steps, 2 seeds): 3e-4 had the lowest held-out loss (0.045, against 0.102
     * for the paper's defaults); 1e-3 (T5's recipe) sent one seed to chance; warm-up with decay and
     * parameter scaling did worse; AdamW 5e-5 beat 2e-5.
     */
    static final double PRETRAINED_ADAFACTOR_LEARNING_RATE = 3e-4;

    static final double PRETRAINED_ADAM_LEARNING_RATE = 5e-5;

    /** Adam's and AdamW's rate on a catalog model, trained from scratch. */
    static final double ADAM_LEARNING_RATE = 1e-3;

    /** The most a {@code learning_rate_multiplier} may scale the default rate by. */
    static final double MAX_MULTIPLIER = 100;

    /**
     * @param pretrained whether the base model is pretrained (see {@link #PRETRAINED_ADAFACTOR_LEARNING_RATE})
     * @param trainingExamples the training file's examples, which "auto" values are resolved from
     */
    static JobSettings resolve(JobRequest request, long seed, boolean pretrained, int trainingExamples) {
        Given given = hyperparameters(request);
        JobRequest.HyperparameterRequest h = given.hyperparameters();
        String at = given.prefix();
        Integer nEpochs = AutoHyperparameters.integer(h.nEpochs(), at + "n_epochs", 1000);
        Integer batchSize = AutoHyperparameters.integer(h.batchSize(), at + "batch_size", 1024);
        Double multiplier =
                AutoHyperparameters.factor(h.learningRateMultiplier(), at + "learning_rate_multiplier", MAX_MULTIPLIER);
        if (multiplier != null && h.learningRate() != null) {
            throw new InvalidRequestException(
                    at + "learning_rate_multiplier",
                    "learning_rate_multiplier scales the base model's default rate and learning_rate sets the rate;"
                            + " give one of them");
        }
        JobRequest.OptimizerRequest o = request.optimizer() != null
                ? request.optimizer()
                : new JobRequest.OptimizerRequest(
                        null, null, null, null, null, null, null, null, null, null, null, null, null);
        String type = or(o.type(), "adafactor");
        boolean adafactor = type.equals("adafactor");
        if (!adafactor) {
            for (var adafactorOnly : Map.of(
                            "decay_rate",
                            o.decayRate() != null,
                            "clip_threshold",
                            o.clipThreshold() != null,
                            "relative_step",
                            o.relativeStep() != null,
                            "scale_parameter",
                            o.scaleParameter() != null,
                            "warmup_init",
                            o.warmupInit() != null,
                            "epsilon1",
                            o.epsilon1() != null,
                            "epsilon2",
                            o.epsilon2() != null,
                            "factored",
                            o.factored() != null,
                            "min_dim_size_to_factor",
                            o.minDimSizeToFactor() != null)
                    .entrySet()) {
                if (adafactorOnly.getValue()) {
                    throw new InvalidRequestException(
                            "optimizer." + adafactorOnly.getKey(),
                            adafactorOnly.getKey() + " is an Adafactor option; the optimizer is " + type);
                }
            }
            if (type.equals("adam") && o.weightDecay() != null && o.weightDecay() != 0) {
                throw new InvalidRequestException(
                        "optimizer.weight_decay", "adam has no decoupled weight decay; use adamw or adafactor");
            }
        }
        if (adafactor && o.beta2() != null && o.decayRate() != null) {
            throw new InvalidRequestException(
                    "optimizer.beta2",
                    "beta2 (a fixed decay) replaces decay_rate (the increasing decay); leave one out");
        }
        // Adafactor computes its own step size unless given a learning rate, or fine-tuning a pretrained model
        boolean relativeStep = adafactor && or(o.relativeStep(), h.learningRate() == null && !pretrained);
        if (relativeStep && h.learningRate() != null) {
            throw new InvalidRequestException(
                    at + "learning_rate",
                    "learning_rate conflicts with optimizer.relative_step = true (Adafactor's own step size);"
                            + " leave one out");
        }
        if (adafactor && !relativeStep && h.learningRate() == null && !pretrained) {
            throw new InvalidRequestException(
                    at + "learning_rate", "optimizer.relative_step = false needs " + at + "learning_rate");
        }
        if (relativeStep && multiplier != null && multiplier != 1) {
            // Adafactor's relative step computes its own step size: there is no fixed rate to scale
            throw new InvalidRequestException(
                    at + "learning_rate_multiplier",
                    "learning_rate_multiplier scales a fixed learning rate, and Adafactor's relative step (its"
                            + " default on catalog models without a learning_rate) has none; give " + at
                            + "learning_rate instead (which turns the relative step off), or use optimizer.type adam"
                            + " or adamw");
        }
        if (relativeStep && h.warmupSteps() != null && h.warmupSteps() > 0) {
            throw new InvalidRequestException(
                    at + "warmup_steps",
                    "warmup_steps needs a learning_rate; Adafactor's relative step warms up by itself"
                            + " (see warmup_init)");
        }
        Double defaultRate = defaultRate(adafactor, pretrained);
        // a catalog model's Adafactor has no default rate: without a learning_rate it takes the relative
        // step (refused above with a multiplier), with one there is nothing to state it relative to
        Double learningRate =
                relativeStep ? null : (h.learningRate() != null ? h.learningRate() : defaultRate * or(multiplier, 1.0));
        // the multiplier in effect: as given, else the absolute rate over the default it replaces
        Double effectiveMultiplier = relativeStep || defaultRate == null
                ? null
                : multiplier != null ? multiplier : h.learningRate() != null ? h.learningRate() / defaultRate : 1.0;
        JobSettings.Hyperparameters hyperparameters = new JobSettings.Hyperparameters(
                nEpochs != null ? nEpochs : AutoHyperparameters.epochs(trainingExamples),
                batchSize != null ? batchSize : AutoHyperparameters.batchSize(trainingExamples),
                learningRate,
                or(h.maxSteps(), 0),
                or(h.warmupSteps(), 0),
                or(h.gradientAccumulation(), 1),
                or(h.evalIntervalSteps(), 0),
                or(h.checkpointIntervalSteps(), CHECKPOINT_INTERVAL),
                effectiveMultiplier);
        JobSettings.Optimizer optimizer =
                new JobSettings.Optimizer(type, options(o, adafactor, relativeStep, pretrained));
        return new JobSettings(hyperparameters, optimizer, seed, request.suffix(), metadata(request.metadata()));
    }

    /**
     * The base model's default learning rate for the optimizer, which {@code learning_rate_multiplier}
     * scales; null for Adafactor on a catalog model, which takes its relative step by default.
     */
    static Double defaultRate(boolean adafactor, boolean pretrained) {
        if (!pretrained) {
            return adafactor ? null : ADAM_LEARNING_RATE;
        }
        return adafactor ? PRETRAINED_ADAFACTOR_LEARNING_RATE : PRETRAINED_ADAM_LEARNING_RATE;
    }

    /**
     * Where the request's hyperparameters are, for errors about them found after resolving (memory),
     * and whether it left the batch size to the service.
     */
    record Form(String path, boolean autoBatchSize) {}

    static Form form(JobRequest request) {
        Given given = hyperparameters(request);
        return new Form(
                given.prefix(),
                AutoHyperparameters.isAuto(given.hyperparameters().batchSize()));
    }

    /** The hyperparameters as given, and the path of the object they came in, for errors. */
    private record Given(JobRequest.HyperparameterRequest hyperparameters, String prefix) {}

    /**
     * The hyperparameters from OpenAI's {@code method.supervised.hyperparameters} or the deprecated
     * top-level {@code hyperparameters}: OpenAI says to give them under {@code method}, so a request
     * giving both is refused rather than one silently winning.
     */
    private static Given hyperparameters(JobRequest request) {
        JobRequest.MethodRequest method = request.method();
        JobRequest.HyperparameterRequest underMethod = null;
        if (method != null) {
            if (method.type() == null) {
                throw new InvalidRequestException("method.type", "method.type is required: supervised");
            }
            if (!method.type().equals("supervised")) {
                throw new InvalidRequestException(
                        "method.type",
                        "only supervised fine-tuning is supported, not '" + InvalidRequestException.echo(method.type())
                                + "' (dpo and reinforcement are not trained by this service)");
            }
            notWithSupervised("method.dpo", method.dpo());
            notWithSupervised("method.reinforcement", method.reinforcement());
            underMethod =
                    method.supervised() == null ? null : method.supervised().hyperparameters();
        }
        if (underMethod != null && request.hyperparameters() != null) {
            throw new InvalidRequestException(
                    "hyperparameters",
                    "hyperparameters (deprecated) and method.supervised.hyperparameters were both given; give them"
                            + " in method.supervised.hyperparameters only");
        }
        if (underMethod != null) {
            return new Given(underMethod, "method.supervised.hyperparameters.");
        }
        return new Given(
                request.hyperparameters() != null
                        ? request.hyperparameters()
                        : new JobRequest.HyperparameterRequest(null, null, null, null, null, null, null, null, null),
                "hyperparameters.");
    }

    private static void notWithSupervised(String param, JsonNode settings) {
        if (settings != null && !settings.isNull()) {
            throw new InvalidRequestException(param, param + " does not go with method.type supervised");
        }
    }

    /**
     * The request's options over the defaults (Adafactor's, in its options type; Adam's beta1 0.9 and
     * beta2 0.999), checked there: an error names the request's field.
     */
    private static AdafactorOptions options(
            JobRequest.OptimizerRequest o, boolean adafactor, boolean relativeStep, boolean pretrained) {
        Adafactor.Builder b = Adafactor.builder().optRelativeStep(relativeStep);
        if (adafactor && pretrained) {
            b.optScaleParameter(false);
        }
        if (!adafactor) {
            b.optBeta1(0.9f).optBeta2(0.999f);
        }
        set(o.beta1(), v -> b.optBeta1(v.floatValue()));
        set(o.beta2(), v -> b.optBeta2(v.floatValue()));
        set(o.decayRate(), v -> b.optDecayRate(v.floatValue()));
        set(o.clipThreshold(), v -> b.optClipThreshold(v.floatValue()));
        set(o.scaleParameter(), b::optScaleParameter);
        set(o.warmupInit(), b::optWarmupInit);
        set(o.epsilon1(), v -> b.optEpsilon1(v.floatValue()));
        set(o.epsilon2(), v -> b.optEpsilon2(v.floatValue()));
        set(o.factored(), b::optFactored);
        set(o.minDimSizeToFactor(), b::optMinDimSizeToFactor);
        set(o.weightDecay(), v -> b.optWeightDecays(v.floatValue()));
        try {
            return b.options().validate();
        } catch (AdafactorOptions.InvalidOptionException e) {
            // the message names options as the record does; the client knows them by the request's names
            String message = e.getMessage();
            for (RecordComponent option : AdafactorOptions.class.getRecordComponents()) {
                message = message.replaceAll("\\b" + option.getName() + "\\b", snakeCase(option.getName()));
            }
            throw new InvalidRequestException("optimizer." + snakeCase(e.option()), message);
        }
    }

    private static <T> void set(T value, Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }

    private static String snakeCase(String name) {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /** Keys and values are size-checked by the request's constraints. */
    private static Map<String, String> metadata(Map<String, String> metadata) {
        return metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
