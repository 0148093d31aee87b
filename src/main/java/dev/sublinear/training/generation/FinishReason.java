package dev.sublinear.training.generation;

/** Why a generation ended, as OpenAI names it. */
public enum FinishReason {
    /** The model's end-of-text token or a stop sequence. */
    STOP("stop"),
    /** {@link Sampling#maxTokens()} reached. */
    LENGTH("length");

    private final String id;

    FinishReason(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
