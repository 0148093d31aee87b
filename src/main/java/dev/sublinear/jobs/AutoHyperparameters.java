package dev.sublinear.jobs;

import dev.sublinear.jobs.common.InvalidRequestException;
import tools.jackson.databind.JsonNode;

/**
 * OpenAI's {@code "auto"} hyperparameters: reading a value that is {@code "auto"} or a number, and
 * the rules that resolve {@code "auto"} (or a left-out value) from the number of training examples.
 */
final class AutoHyperparameters {

    static final String AUTO = "auto";

    /**
     * OpenAI's published rule (the fine-tuning data preparation cookbook): 3 epochs, unless that
     * trains on fewer than 100 examples (then 100 / n epochs, at most 25) or more than 25,000 (then
     * 25,000 / n, at least 1), with the cookbook's integer division.
     */
    static final int TARGET_EPOCHS = 3;

    static final int MIN_TARGET_EXAMPLES = 100;
    static final int MAX_TARGET_EXAMPLES = 25_000;
    static final int MAX_AUTO_EPOCHS = 25;

    /**
     * Ours (OpenAI does not publish its rule): about one example in 500 per micro-batch, in powers
     * of two, between 8 (the service's default since its start) and 32, and never more than the
     * examples. A CPU worker's activation memory grows with the batch; 32 keeps the catalog models
     * within a worker's budget, and gradient_accumulation gives larger steps without the memory.
     */
    static final int MIN_AUTO_BATCH = 8;

    static final int MAX_AUTO_BATCH = 32;
    static final int EXAMPLES_PER_BATCH_ROW = 500;

    private AutoHyperparameters() {}

    static int epochs(int examples) {
        int n = Math.max(1, examples);
        if ((long) n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) {
            return Math.min(MAX_AUTO_EPOCHS, MIN_TARGET_EXAMPLES / n);
        }
        if ((long) n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) {
            return Math.max(1, MAX_TARGET_EXAMPLES / n);
        }
        return TARGET_EPOCHS;
    }

    static int batchSize(int examples) {
        int rows = (examples + EXAMPLES_PER_BATCH_ROW - 1) / EXAMPLES_PER_BATCH_ROW;
        int powerOfTwo = Integer.highestOneBit(Math.max(1, rows));
        if (powerOfTwo < rows) {
            powerOfTwo <<= 1;
        }
        int size = Math.min(MAX_AUTO_BATCH, Math.max(MIN_AUTO_BATCH, powerOfTwo));
        return Math.max(1, Math.min(examples, size));
    }

    /**
     * An integer hyperparameter: null when left out, null or {@code "auto"}.
     *
     * @throws InvalidRequestException naming {@code param} for anything but "auto" or an integer in [1, max]
     */
    static Integer integer(JsonNode value, String param, int max) {
        if (absentOrAuto(value, param, "an integer from 1 to " + max)) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1 || value.intValue() > max) {
            throw new InvalidRequestException(
                    param,
                    "'" + param + "' must be \"auto\" or an integer from 1 to " + max + ", not "
                            + InvalidRequestException.echo(value));
        }
        return value.intValue();
    }

    /**
     * A positive factor: null when left out, null or {@code "auto"}.
     *
     * @throws InvalidRequestException naming {@code param} for anything but "auto" or a number in (0, max]
     */
    static Double factor(JsonNode value, String param, double max) {
        if (absentOrAuto(value, param, "a number above 0 and at most " + max)) {
            return null;
        }
        double v = value.doubleValue();
        if (!(v > 0 && v <= max)) {
            throw new InvalidRequestException(
                    param,
                    "'" + param + "' must be \"auto\" or a number above 0 and at most " + max + ", not "
                            + InvalidRequestException.echo(value));
        }
        return v;
    }

    /** Whether the service picks this value: left out, null or {@code "auto"}. */
    static boolean isAuto(JsonNode value) {
        return value == null
                || value.isNull()
                || value.isMissingNode()
                || (value.isString() && AUTO.equals(value.stringValue()));
    }

    /** Whether {@code value} is absent, null or "auto"; refuses anything else that is not a number. */
    private static boolean absentOrAuto(JsonNode value, String param, String expected) {
        if (isAuto(value)) {
            return true;
        }
        if (!value.isNumber()) {
            throw new InvalidRequestException(
                    param,
                    "'" + param + "' must be \"auto\" or " + expected + ", not " + InvalidRequestException.echo(value));
        }
        return false;
    }
}
