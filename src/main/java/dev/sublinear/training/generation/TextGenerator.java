package dev.sublinear.training.generation;

import dev.sublinear.training.chat.ChatMessage;
import dev.sublinear.training.chat.ChatTemplateException;
import dev.sublinear.training.model.LoadedModel;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Generates and scores text with a loaded causal language model. */
public final class TextGenerator {

    private final LoadedModel model;

    public TextGenerator(LoadedModel model) {
        this.model = model;
    }

    /** The longest sequence, prompt and generated tokens together, the model can take. */
    public int contextLength() {
        return model.config().contextLength();
    }

    /** A plain prompt's ids, framed as transformers' tokenizer frames a text (llama's BOS); never cut. */
    public int[] encodePrompt(String prompt) {
        throw new UnsupportedOperationException("not yet built");
    }

    /**
     * A conversation's ids: the model's chat template with the generation prompt added, tokenized as
     * {@code apply_chat_template} tokenizes it (the template writes the special tokens itself).
     *
     * @throws ChatTemplateException when the model has no chat template or it cannot render these
     */
    public int[] encodeChat(List<ChatMessage> messages) {
        var template = model.tokenizer()
                .chatTemplate()
                .orElseThrow(() -> new ChatTemplateException("the model has no chat template"));
        return model.tokenizer().encode(template.render(messages, true));
    }

    /**
     * Scores {@code ids}: each token's log-prob given those before it (the first has none) and, when
     * {@code logprobs} &gt; 0, that many most likely alternatives.
     */
    public List<TokenScore> score(int[] ids, int logprobs, BooleanSupplier stop) {
        throw new UnsupportedOperationException("not yet built");
    }

    /**
     * Continues {@code prompt}, feeding {@code stream} as text becomes final, asking {@code stop}
     * before each token.
     *
     * @throws IllegalArgumentException when prompt and maxTokens do not fit the context
     * @throws java.util.concurrent.CancellationException when {@code stop} answered true
     */
    public Generation generate(int[] prompt, Sampling sampling, BooleanSupplier stop, TokenStream stream) {
        throw new UnsupportedOperationException("not yet built");
    }
}
