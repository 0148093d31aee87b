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
            return causal(
                    concat(new int[] {tokenizer.bosId()}, tokenizer.encode(c.prompt()), new int[] {
                        tokenizer.separatorId()
                    }),
                    concat(tokenizer.encode(c.completion()), new int[] {tokenizer.eosId()}));
        }
        if (example instanceof Example.Text t) {
            return causal(
                    new int[] {tokenizer.bosId()}, concat(tokenizer.encode(t.text()), new int[] {tokenizer.eosId()}));
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
        int[] sequence = concat(new int[] {tokenizer.bosId()}, tokenizer.encode(l.text()));
        if (sequence.length > contextLength) {
            sequence = Arrays.copyOf(sequence, contextLength);
        }
        int label = labels.indexOf(l.label());
        if (label < 0) {
            throw new IllegalArgumentException("label '" + l.label() + "' is not one of the model's labels " + labels);
        }
        return new Encoded(sequence, null, null, label);
    }

    /** Encodes a prompt for generation: BOS prompt SEP. */
    public int[] promptForGeneration(String prompt) {
        int[] sequence =
                concat(new int[] {tokenizer.bosId()}, tokenizer.encode(prompt), new int[] {tokenizer.separatorId()});
        if (sequence.length > contextLength) {
            // keep the end of a long prompt: it is what the next token depends on most
            sequence = Arrays.copyOfRange(sequence, sequence.length - contextLength, sequence.length);
        }
        return sequence;
    }

    /** Encodes a text for classification: BOS text, cut to the context. */
    public int[] textForClassification(String text) {
        int[] sequence = concat(new int[] {tokenizer.bosId()}, tokenizer.encode(text));
        return sequence.length > contextLength ? Arrays.copyOf(sequence, contextLength) : sequence;
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
