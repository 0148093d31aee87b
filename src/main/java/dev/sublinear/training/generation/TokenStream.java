package dev.sublinear.training.generation;

import java.util.List;

/** Receives generated text as it becomes final (a stop sequence can no longer remove it). */
@FunctionalInterface
public interface TokenStream {

    /**
     * @param text the text added since the last call (may be empty while a multi-byte character is
     *     incomplete)
     * @param tokens the tokens that text came from, with scores when asked for
     */
    void next(String text, List<TokenScore> tokens);

    TokenStream NONE = (text, tokens) -> {};
}
