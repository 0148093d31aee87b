package dev.sublinear.training.generation;

import java.util.List;

/**
 * A finished generation.
 *
 * @param text the generated text (without the end-of-text token or the stop sequence)
 * @param tokens the generated tokens with their scores, when log-probs were asked for (else empty)
 * @param finishReason why it ended
 * @param promptTokens tokens of the prompt
 * @param completionTokens tokens generated (the end-of-text token counts, as OpenAI counts it)
 */
public record Generation(
        String text, List<TokenScore> tokens, FinishReason finishReason, int promptTokens, int completionTokens) {}
