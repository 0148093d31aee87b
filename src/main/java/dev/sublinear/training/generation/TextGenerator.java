package dev.sublinear.training.generation;

import dev.sublinear.training.chat.ChatMessage;
import dev.sublinear.training.chat.ChatTemplateException;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.Tokenizer;
import dev.sublinear.training.model.IncrementalDecoder;
import dev.sublinear.training.model.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Generates and scores text with a loaded causal language model. Generation keeps a key/value cache
 * ({@link IncrementalDecoder}): the prompt is read in one forward, then each token costs one position.
 */
public final class TextGenerator {

    private final LoadedModel model;
    private final Tokenizer tokenizer;

    /** @throws IllegalStateException when the model is not a causal language model */
    public TextGenerator(LoadedModel model) {
        if (model.config().task() != TaskType.CAUSAL_LM) {
            throw new IllegalStateException(
                    "this model is for " + model.config().task().id() + ", not " + TaskType.CAUSAL_LM.id());
        }
        this.model = model;
        this.tokenizer = model.tokenizer();
    }

    /** The longest sequence, prompt and generated tokens together, the model can take. */
    public int contextLength() {
        return model.config().contextLength();
    }

    /**
     * A plain prompt's ids, framed as transformers' tokenizer frames a text (llama's BOS); never cut.
     * For a model of ours the framing is the one its training put before a completion (BOS, text,
     * separator), so that a model fine-tuned on prompt/completion rows continues as it learnt to.
     */
    public int[] encodePrompt(String prompt) {
        return new Encoder(tokenizer, contextLength(), List.of()).framedPrompt(prompt);
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
     * {@code logprobs} &gt; 0, that many most likely alternatives. One forward pass.
     *
     * @throws IllegalArgumentException when {@code ids} is empty or longer than the context
     * @throws CancellationException when {@code stop} answered true
     */
    public List<TokenScore> score(int[] ids, int logprobs, BooleanSupplier stop) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("nothing to score: no tokens");
        }
        if (ids.length > contextLength()) {
            throw new IllegalArgumentException(ids.length + " tokens exceed the model's context of " + contextLength());
        }
        List<TokenScore> scores = new ArrayList<>(ids.length);
        scores.add(new TokenScore(ids[0], text(ids[0]), null, List.of()));
        if (ids.length == 1) {
            return scores;
        }
        if (stop.getAsBoolean()) {
            throw new CancellationException("scoring stopped before it began");
        }
        try (IncrementalDecoder decoder = new IncrementalDecoder(model)) {
            decoder.feed(ids, (position, row) -> {
                if (position + 1 < ids.length) {
                    int id = ids[position + 1];
                    scores.add(new TokenScore(id, text(id), (double) row[id], alternatives(row, logprobs)));
                }
            });
        }
        return scores;
    }

    /**
     * Continues {@code prompt}, feeding {@code stream} as text becomes final, asking {@code stop}
     * before each forward pass. Log-probs are those of the model's own distribution (log_softmax of
     * the logits, before temperature and top_p), as OpenAI reports them. The end-of-text token ends the
     * generation and counts in {@link Generation#completionTokens()} but is neither text nor among
     * {@link Generation#tokens()}.
     *
     * @throws IllegalArgumentException when the prompt is empty, the sampling values are out of range,
     *     or prompt and maxTokens do not fit the context
     * @throws java.util.concurrent.CancellationException when {@code stop} answered true
     */
    public Generation generate(int[] prompt, Sampling sampling, BooleanSupplier stop, TokenStream stream) {
        check(prompt, sampling);
        int maxTokens = sampling.maxTokens();
        StreamedText out = new StreamedText(tokenizer, sampling.stop(), stream);
        if (maxTokens == 0) {
            return new Generation(out.finish(), List.of(), FinishReason.LENGTH, prompt.length, 0);
        }
        TokenSampler sampler = new TokenSampler(sampling.temperature(), sampling.topP(), sampling.seed());
        int eos = endOfText();
        FinishReason finish = FinishReason.LENGTH;
        int count = 0;
        try (IncrementalDecoder decoder = new IncrementalDecoder(model)) {
            int last = -1;
            while (count < maxTokens) {
                if (stop.getAsBoolean()) {
                    throw new CancellationException(
                            "generation stopped after " + count + " of " + maxTokens + " tokens");
                }
                float[] logits = count == 0 ? decoder.feed(prompt) : decoder.feed(new int[] {last});
                int next = sampler.pick(logits);
                count++;
                if (next == eos) {
                    finish = FinishReason.STOP;
                    break;
                }
                if (out.add(token(next, logits, sampling.logprobs()))) {
                    finish = FinishReason.STOP;
                    break;
                }
                last = next;
            }
        }
        String text = out.finish();
        List<TokenScore> tokens = sampling.scored() ? out.tokens() : List.of();
        return new Generation(text, tokens, finish, prompt.length, count);
    }

    private void check(int[] prompt, Sampling sampling) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: a generation needs at least one token");
        }
        if (sampling.maxTokens() < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative: " + sampling.maxTokens());
        }
        if (!(sampling.temperature() >= 0) || Double.isInfinite(sampling.temperature())) {
            throw new IllegalArgumentException("temperature must be 0 or more: " + sampling.temperature());
        }
        if (!(sampling.topP() > 0 && sampling.topP() <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1]: " + sampling.topP());
        }
        if ((long) prompt.length + sampling.maxTokens() > contextLength()) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens and " + sampling.maxTokens()
                    + " more exceed the model's context of " + contextLength());
        }
    }

    /** The end-of-text id, or -1 where the tokenizer has none (the generation then ends by length). */
    private int endOfText() {
        try {
            return tokenizer.eosId();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private TokenScore token(int id, float[] logits, int logprobs) {
        if (logprobs < 0) {
            return new TokenScore(id, text(id), null, List.of());
        }
        double[] logProbs = TokenSampler.logSoftmax(logits);
        List<TokenScore.Alternative> top = new ArrayList<>();
        for (int i : TokenSampler.top(logProbs, logprobs)) {
            top.add(new TokenScore.Alternative(i, text(i), logProbs[i]));
        }
        return new TokenScore(id, text(id), logProbs[id], List.copyOf(top));
    }

    private List<TokenScore.Alternative> alternatives(float[] logProbs, int count) {
        if (count <= 0) {
            return List.of();
        }
        List<TokenScore.Alternative> top = new ArrayList<>(count);
        for (int i : TokenSampler.top(logProbs, count)) {
            top.add(new TokenScore.Alternative(i, text(i), logProbs[i]));
        }
        return List.copyOf(top);
    }

    private String text(int id) {
        return tokenizer.decode(new int[] {id});
    }
}
