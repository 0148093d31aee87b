package dev.sublinear.training.data;

import java.util.Arrays;
import java.util.List;

/** Turns examples into token sequences with what the loss counts. */
public final class Encoder {

    /**
     * One encoded example. For causal LM: {@code inputs} and {@code targets} are shifted by one and
     * {@code lossMask} says which targets count. For classification: {@code inputs} and {@code label}.
     */
    public record Encoded(int[] inputs, int[] targets, float[] lossMask, int label) {
        public int length() {
            return inputs.length;
        }
    }

    private final Tokenizer tokenizer;
    private final int contextLength;
    private final List<String> labels;

    public Encoder(Tokenizer tokenizer, int contextLength, List<String> labels) {
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.labels = labels;
    }

    public Encoded encode(Example example) {
        if (example instanceof Example.Completion c) {
            return causal(prompt(c.prompt()), concat(tokenizer.encode(c.completion()), new int[] {tokenizer.eosId()}));
        }
        if (example instanceof Example.Text t) {
            return causal(
                    tokenizer.inputPrefix(),
                    concat(tokenizer.encode(t.text()), tokenizer.inputSuffix(), new int[] {tokenizer.eosId()}));
        }
        return classification((Example.Labeled) example);
    }

    /** Sequence = context + learned; loss on the learned part only; cut to contextLength + 1 tokens. */
    private Encoded causal(int[] context, int[] learned) {
        int[] sequence = concat(context, learned);
        if (sequence.length > contextLength + 1) {
            sequence = Arrays.copyOf(sequence, contextLength + 1);
        }
        int n = sequence.length - 1;
        int[] inputs = Arrays.copyOf(sequence, n);
        int[] targets = Arrays.copyOfRange(sequence, 1, n + 1);
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) {
            // target i is sequence[i + 1]: it counts when it lies in the learned part
            mask[i] = i + 1 >= context.length ? 1f : 0f;
        }
        return new Encoded(inputs, targets, mask, -1);
    }

    private Encoded classification(Example.Labeled l) {
        int[] sequence = textForClassification(l.text());
        int label = labels.indexOf(l.label());
        if (label < 0) {
            throw new IllegalArgumentException("label '" + l.label() + "' is not one of the model's labels " + labels);
        }
        return new Encoded(sequence, null, null, label);
    }

    /** A prompt as the model sees it before its completion: prefix, prompt, suffix, prompt end. */
    private int[] prompt(String prompt) {
        return concat(
                tokenizer.inputPrefix(), tokenizer.encode(prompt), tokenizer.inputSuffix(), tokenizer.promptEnd());
    }

    /**
     * A prompt framed as {@link #encode} frames a prompt before its completion (prefix, text, suffix,
     * prompt end), whatever its length.
     */
    public int[] framedPrompt(String prompt) {
        return prompt(prompt);
    }

    /** Encodes a prompt for generation, as {@link #encode} frames a prompt before its completion. */
    public int[] promptForGeneration(String prompt) {
        int[] sequence = prompt(prompt);
        if (sequence.length > contextLength) {
            // keep the end of a long prompt: it is what the next token depends on most
            sequence = Arrays.copyOfRange(sequence, sequence.length - contextLength, sequence.length);
        }
        return sequence;
    }

    /**
     * Encodes a text for classification: prefix, text, suffix; a text too long for the context is cut,
     * keeping the suffix, as transformers' truncation keeps BERT's closing [SEP].
     */
    public int[] textForClassification(String text) {
        int[] prefix = tokenizer.inputPrefix();
        int[] suffix = tokenizer.inputSuffix();
        int[] body = tokenizer.encode(text);
        int room = Math.max(0, contextLength - prefix.length - suffix.length);
        return concat(prefix, body.length > room ? Arrays.copyOf(body, room) : body, suffix);
    }

    private static int[] concat(int[]... parts) {
        int total = 0;
        for (int[] p : parts) {
            total += p.length;
        }
        int[] out = new int[total];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
