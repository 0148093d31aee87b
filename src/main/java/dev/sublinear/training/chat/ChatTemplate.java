package dev.sublinear.training.chat;

import java.util.List;

/**
 * A model's chat template: Jinja, rendered as transformers' {@code apply_chat_template} renders it
 * (with {@code messages}, {@code add_generation_prompt} and the tokenizer's special tokens).
 */
public final class ChatTemplate {

    private final String source;

    private ChatTemplate(String source) {
        this.source = source;
    }

    /** The template's Jinja text. */
    public String source() {
        return source;
    }

    /**
     * Renders {@code messages}; with {@code addGenerationPrompt} the text ends where the assistant's
     * next turn begins.
     *
     * @throws ChatTemplateException naming the construct when the template cannot be rendered
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        throw new UnsupportedOperationException("not yet built: " + source.length());
    }
}
