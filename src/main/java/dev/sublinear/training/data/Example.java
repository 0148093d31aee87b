package dev.sublinear.training.data;

/** One validated line of a training or validation file. */
public sealed interface Example permits Example.Completion, Example.Text, Example.Labeled {

    /** The 1-based line it came from. */
    int line();

    /** Causal LM: the loss counts only the completion's tokens. */
    record Completion(int line, String prompt, String completion) implements Example {}

    /** Causal LM: the loss counts every token. */
    record Text(int line, String text) implements Example {}

    /** Classification. */
    record Labeled(int line, String text, String label) implements Example {}
}
