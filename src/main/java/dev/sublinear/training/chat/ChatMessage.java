package dev.sublinear.training.chat;

/**
 * One turn of a conversation, in OpenAI's shape.
 *
 * @param role {@code system}, {@code user} or {@code assistant}
 * @param content the turn's text
 * @param weight for training data: 1 when the loss counts an assistant turn, 0 when it does not; null
 *     where not given (assistant turns then count)
 */
public record ChatMessage(String role, String content, Integer weight) {

    public ChatMessage(String role, String content) {
        this(role, content, null);
    }

    /** Whether training learns this turn: an assistant turn whose weight is not 0. */
    public boolean trained() {
        return "assistant".equals(role) && (weight == null || weight != 0);
    }
}
