package dev.sublinear.training.data;

import java.util.Arrays;
import java.util.Locale;

/** What a model learns. */
public enum TaskType {
    /** Next-token prediction: {"prompt", "completion"} (loss on the completion) or {"text"}. */
    CAUSAL_LM("causal-lm"),
    /** Text to one of a set of string labels: {"text", "label"}. */
    CLASSIFICATION("classification");

    private final String id;

    TaskType(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static TaskType fromId(String id) {
        return Arrays.stream(values())
                .filter(t -> t.id.equals(id.toLowerCase(Locale.ROOT)))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown task '" + id + "': expected causal-lm or classification"));
    }
}
