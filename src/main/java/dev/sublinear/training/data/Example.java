package dev.sublinear.training.data;

import dev.sublinear.training.chat.ChatMessage;
import java.util.List;

/** One validated line of a training or validation file. */
public sealed interface Example permits Example.Completion, Example.Text, Example.Labeled, Example.Chat {

    /** The 1-based line it came from. */
    int line();

    /** Causal LM: the loss counts only the completion's tokens. */
    record Completion(int line, String prompt, String completion) implements Example {}

    /** Causal LM: the loss counts every token. */
    record Text(int line, String text) implements Example {}

    /**
     * Causal LM on a conversation, rendered by the model's chat template: the loss counts the tokens of
     * the assistant turns that are {@linkplain ChatMessage#trained() trained}.
     */
    record Chat(int line, List<ChatMessage> messages) implements Example {
        public Chat {
            messages = List.copyOf(messages);
        }
    }

    /** Classification. */
    record Labeled(int line, String text, String label) implements Example {}
}
