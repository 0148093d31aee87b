package dev.sublinear.training.data;

import dev.sublinear.training.chat.ChatSpans;
import dev.sublinear.training.chat.ChatTemplate;
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
        if (example instanceof Example.Chat c) {
            ChatSequence chat = chatSequence(c);
            int[] sequence = chat.tokens();
            boolean[] learned = chat.learned();
            if (sequence.length > contextLength + 1) {
                sequence = Arrays.copyOf(sequence, contextLength + 1);
            }
            int n = sequence.length - 1;
            float[] mask = new float[n];
            for (int i = 0; i < n; i++) {
                mask[i] = learned[i + 1] ? 1f : 0f;
            }
            return new Encoded(Arrays.copyOf(sequence, n), Arrays.copyOfRange(sequence, 1, n + 1), mask, -1);
        }
        if (example instanceof Example.Text t) {
            return causal(
                    tokenizer.inputPrefix(),
                    concat(tokenizer.encode(t.text()), tokenizer.inputSuffix(), new int[] {tokenizer.eosId()}));
        }
        return classification((Example.Labeled) example);
    }

    /**
     * A conversation's tokens, not cut to the context, and which of them the loss learns.
     *
     * @param firstLearned the index of the first learned token, or -1
     */
    public record ChatSequence(int[] tokens, boolean[] learned, int firstLearned) {}

    /**
     * Renders a conversation with the model's chat template (no generation prompt; the template writes
     * the special tokens, BOS included, so none is added) and tokenizes it piece by piece at the
     * assistant turns' bounds ({@link ChatSpans}): the tokens of a trained turn, through its
     * end-of-turn token, are learned. A turn's bounds follow special tokens in the templates we know,
     * where tokenizers split anyway, so the pieces' tokens are the whole text's.
     *
     * @throws IllegalArgumentException when the model has no chat template
     * @throws dev.sublinear.training.chat.ChatTemplateException when the template cannot render it
     */
    public ChatSequence chatSequence(Example.Chat chat) {
        ChatTemplate template = tokenizer
                .chatTemplate()
                .orElseThrow(() -> new IllegalArgumentException("messages rows need a model with a chat template"));
        ChatSpans rendered = ChatSpans.of(template, chat.messages());
        String text = rendered.text();
        int[][] pieces = new int[2 * rendered.spans().size() + 1][];
        boolean[] learnedPiece = new boolean[pieces.length];
        int at = 0;
        int piece = 0;
        for (ChatSpans.Span span : rendered.spans()) {
            pieces[piece++] = tokenizer.encode(text.substring(at, span.start()));
            learnedPiece[piece] = span.trained();
            pieces[piece++] = tokenizer.encode(text.substring(span.start(), span.end()));
            at = span.end();
        }
        pieces[piece] = tokenizer.encode(text.substring(at));
        int[] tokens = concat(pieces);
        boolean[] learned = new boolean[tokens.length];
        int first = -1;
        int offset = 0;
        for (int p = 0; p < pieces.length; p++) {
            if (learnedPiece[p]) {
                Arrays.fill(learned, offset, offset + pieces[p].length, true);
                if (first < 0 && pieces[p].length > 0) {
                    first = offset;
                }
            }
            offset += pieces[p].length;
        }
        return new ChatSequence(tokens, learned, first);
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
