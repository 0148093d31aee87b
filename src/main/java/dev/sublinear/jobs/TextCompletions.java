package dev.sublinear.jobs;

import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.files.FileService;
import dev.sublinear.jobs.models.Inference;
import dev.sublinear.jobs.models.InferenceProperties;
import dev.sublinear.jobs.models.ModelService;
import dev.sublinear.training.chat.ChatMessage;
import dev.sublinear.training.chat.ChatTemplateException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.generation.Generation;
import dev.sublinear.training.generation.Sampling;
import dev.sublinear.training.generation.TextGenerator;
import dev.sublinear.training.generation.TokenScore;
import dev.sublinear.training.model.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.springframework.stereotype.Service;

/**
 * OpenAI-style completions and chat completions with any model a tenant may use (catalog, models
 * directory, fine-tuned {@code ft:…}, checkpoint {@code ftckpt-…}, uploaded {@code file-…}), in the
 * API's terms: the API never sees the training layer, so prompts, options and scored tokens are
 * this class's own records.
 */
@Service
public class TextCompletions {

    /** {@link Options#maxTokens()} for as many tokens as the context leaves (within the request limit). */
    public static final int REST_OF_CONTEXT = -1;

    /** What to continue. */
    public sealed interface Prompt {
        /** A text, tokenized as the model's tokenizer frames a text. */
        record Text(String text) implements Prompt {}

        /** Token ids, taken as they are. */
        record Tokens(List<Integer> ids) implements Prompt {}

        /** A conversation, rendered with the model's chat template and its generation prompt. */
        record Chat(List<Turn> turns) implements Prompt {}
    }

    /** A turn of a conversation: role {@code system}, {@code user} or {@code assistant}. */
    public record Turn(String role, String content) {}

    /**
     * How to generate.
     *
     * @param logprobs alternatives to report with each token's log-prob; -1 for no log-probs
     * @param seed the first choice's seed (the next ones take seed + 1, …); null draws one
     * @param echo whether a choice starts with its prompt (scored too when log-probs are asked for)
     */
    public record Options(
            int n,
            int maxTokens,
            double temperature,
            double topP,
            Long seed,
            List<String> stop,
            int logprobs,
            boolean echo) {}

    /** A token, its log-prob (null for a sequence's first) and the most likely alternatives at its place. */
    public record Token(int id, String text, Double logprob, List<Alternative> top) {}

    public record Alternative(int id, String text, double logprob) {}

    /** A finished choice: its whole text and tokens (the prompt's first, with echo). */
    public record Choice(int index, String text, List<Token> tokens, String finishReason) {}

    public record Result(List<Choice> choices, int promptTokens, int completionTokens) {}

    /** Receives text as it becomes final, on the inference thread. */
    public interface Listener {
        void text(int index, String text, List<Token> tokens);

        void finished(Choice choice);

        Listener NONE = new Listener() {
            @Override
            public void text(int index, String text, List<Token> tokens) {}

            @Override
            public void finished(Choice choice) {}
        };
    }

    private final ModelService models;
    private final FileService files;
    private final JobCheckpoints checkpoints;
    private final JobStore jobs;
    private final InferenceProperties limits;

    public TextCompletions(
            ModelService models,
            FileService files,
            JobCheckpoints checkpoints,
            JobStore jobs,
            InferenceProperties limits) {
        this.models = models;
        this.files = files;
        this.checkpoints = checkpoints;
        this.jobs = jobs;
        this.limits = limits;
    }

    /**
     * Starts generating {@code options.n()} choices for each prompt on an inference thread (choice
     * {@code p * n + j} is prompt p's j-th); an unknown model, one that does not generate text, or a
     * request over the token limit is refused here, before a slot is taken.
     *
     * @throws NotFoundException ({@code model_not_found}) for a model the tenant does not have
     */
    public Inference.Call<Result> complete(
            String tenantId, String model, List<Prompt> prompts, Options options, Listener listener) {
        boolean rest = options.maxTokens() == REST_OF_CONTEXT;
        long tokens = rest ? 0 : (long) prompts.size() * options.n() * options.maxTokens();
        if (tokens > limits.maxTokensPerRequest()) {
            throw new InvalidRequestException(
                    "max_tokens",
                    "n × max_tokens" + (prompts.size() > 1 ? " × prompts" : "") + " is " + tokens
                            + ", more than this service allows in one request (" + limits.maxTokensPerRequest()
                            + ", sublinear.inference.max-tokens-per-request)");
        }
        ModelService.Loadable loadable = resolve(tenantId, model);
        long seed = options.seed() != null
                ? options.seed()
                : ThreadLocalRandom.current().nextLong(1L << 48);
        long expected = rest ? limits.maxTokensPerRequest() : tokens;
        int steps = (int) Math.min(Integer.MAX_VALUE, Math.max(1, expected + prompts.size()));
        int restPerChoice = limits.maxTokensPerRequest() / (prompts.size() * options.n());
        return models.run(
                tenantId,
                loadable,
                steps,
                (loaded, stop) -> new Run(loaded, options, restPerChoice, seed, listener, stop).all(prompts));
    }

    /** How to load the model {@code id} names, once it is known to generate text. */
    private ModelService.Loadable resolve(String tenantId, String id) {
        TaskType task;
        ModelService.Loadable loadable;
        if (id.startsWith("file-")) {
            FileRecord f = files.find(tenantId, id).orElseThrow(() -> unknown(id));
            if (!FileRecord.MODEL.equals(f.purpose()) || !f.usable()) {
                throw new InvalidRequestException(
                        "model",
                        "file " + id + " is not a usable model archive (purpose '" + f.purpose() + "', status '"
                                + f.status() + "')");
            }
            task = f.tasks().iterator().next();
            loadable = models.archive(tenantId, id, f.artifactKey());
        } else if (id.startsWith("ftckpt-")) {
            CheckpointRecord c = checkpoints.find(tenantId, id).orElseThrow(() -> unknown(id));
            task = jobs.find(tenantId, c.jobId()).orElseThrow(() -> unknown(id)).task();
            loadable = models.checkpoint(tenantId, id, c.artifactKey());
        } else {
            ModelService.ModelInfo info;
            try {
                info = models.get(tenantId, id);
            } catch (NotFoundException e) {
                throw unknown(id);
            }
            task = info.task();
            loadable = models.loadable(tenantId, info);
        }
        if (task != TaskType.CAUSAL_LM) {
            throw new InvalidRequestException(
                    "model",
                    "model " + id + " is a " + task.id() + " model and does not generate text; use"
                            + " /v1/models/{model}/predictions");
        }
        return loadable;
    }

    private static NotFoundException unknown(String id) {
        return new NotFoundException("model", id, "model", "model_not_found");
    }

    /** One request's generations with a loaded model. */
    private static final class Run {

        private final LoadedModel model;
        private final TextGenerator generator;
        private final Options options;
        /** Tokens per choice when the request leaves it to the context: the request limit's share. */
        private final int restPerChoice;

        private final long seed;
        private final Listener listener;
        private final BooleanSupplier stop;
        private final List<Choice> choices = new ArrayList<>();
        private int promptTokens;
        private int completionTokens;

        Run(LoadedModel model, Options options, int restPerChoice, long seed, Listener listener, BooleanSupplier stop) {
            this.model = model;
            this.restPerChoice = restPerChoice;
            this.generator = new TextGenerator(model);
            this.options = options;
            this.seed = seed;
            this.listener = listener;
            this.stop = stop;
        }

        Result all(List<Prompt> prompts) {
            // every prompt is checked before the first token, so that a bad one fails the request whole
            List<int[]> encoded = new ArrayList<>();
            for (int p = 0; p < prompts.size(); p++) {
                encoded.add(encode(prompts.get(p), prompts.size() > 1 ? "prompt[" + p + "]" : "prompt"));
            }
            for (int p = 0; p < prompts.size(); p++) {
                prompt(p, prompts.get(p), encoded.get(p));
            }
            return new Result(choices, promptTokens, completionTokens);
        }

        private int[] encode(Prompt prompt, String param) {
            int[] ids;
            if (prompt instanceof Prompt.Text t) {
                ids = generator.encodePrompt(t.text());
            } else if (prompt instanceof Prompt.Tokens t) {
                int vocabulary = model.config().vocabularySize();
                ids = t.ids().stream().mapToInt(Integer::intValue).toArray();
                for (int i = 0; i < ids.length; i++) {
                    if (ids[i] < 0 || ids[i] >= vocabulary) {
                        throw new InvalidRequestException(
                                param + "[" + i + "]",
                                "token id " + ids[i] + " is not in the model's vocabulary (0 to " + (vocabulary - 1)
                                        + ")");
                    }
                }
            } else {
                ids = chat(((Prompt.Chat) prompt).turns());
                param = "messages";
            }
            int context = generator.contextLength();
            if (ids.length == 0) {
                throw new InvalidRequestException(param, "the prompt has no tokens; send some text");
            }
            if (ids.length > context) {
                throw new InvalidRequestException(
                        param,
                        "the prompt is " + ids.length + " tokens, more than the model's context of " + context
                                + " tokens");
            }
            if (options.maxTokens() == REST_OF_CONTEXT && ids.length >= context) {
                throw new InvalidRequestException(
                        param,
                        "the prompt is " + ids.length + " tokens and fills the model's context of " + context
                                + " tokens; nothing is left to generate");
            }
            if (options.maxTokens() != REST_OF_CONTEXT && ids.length + options.maxTokens() > context) {
                throw new InvalidRequestException(
                        options.echo() || !(prompt instanceof Prompt.Chat) ? "max_tokens" : "max_completion_tokens",
                        "the prompt (" + ids.length + " tokens) and max_tokens (" + options.maxTokens()
                                + ") are more than the model's context of " + context + " tokens; ask for at most "
                                + (context - ids.length) + " tokens");
            }
            return ids;
        }

        private int[] chat(List<Turn> turns) {
            if (model.tokenizer().chatTemplate().isEmpty()) {
                throw new InvalidRequestException(
                        "model",
                        "the model has no chat template (its tokenizer files define none); use /v1/completions with"
                                + " a prompt");
            }
            try {
                return generator.encodeChat(turns.stream()
                        .map(t -> new ChatMessage(t.role(), t.content()))
                        .toList());
            } catch (ChatTemplateException e) {
                throw new InvalidRequestException(
                        "messages", "the model's chat template cannot render these messages: " + e.getMessage());
            }
        }

        private void prompt(int p, Prompt prompt, int[] ids) {
            promptTokens += ids.length;
            String echoed = "";
            List<Token> echoedTokens = List.of();
            if (options.echo()) {
                echoed = prompt instanceof Prompt.Text t
                        ? t.text()
                        : model.tokenizer().decode(ids);
                if (options.logprobs() >= 0) {
                    echoedTokens = tokens(generator.score(ids, options.logprobs(), stop));
                }
            }
            for (int j = 0; j < options.n(); j++) {
                int index = p * options.n() + j;
                if (options.echo()) {
                    listener.text(index, echoed, echoedTokens);
                }
                Choice choice;
                int maxTokens = options.maxTokens() == REST_OF_CONTEXT
                        ? Math.min(generator.contextLength() - ids.length, restPerChoice)
                        : options.maxTokens();
                if (maxTokens == 0) {
                    choice = new Choice(index, echoed, echoedTokens, "length");
                } else {
                    Sampling sampling = new Sampling(
                            maxTokens,
                            options.temperature(),
                            options.topP(),
                            seed + j,
                            options.stop(),
                            options.logprobs());
                    Generation g = generator.generate(
                            ids, sampling, stop, (text, scores) -> listener.text(index, text, tokens(scores)));
                    completionTokens += g.completionTokens();
                    List<Token> all = new ArrayList<>(echoedTokens);
                    all.addAll(tokens(g.tokens()));
                    choice = new Choice(
                            index, echoed + g.text(), all, g.finishReason().id());
                }
                choices.add(choice);
                listener.finished(choice);
            }
        }

        private static List<Token> tokens(List<TokenScore> scores) {
            return scores.stream()
                    .map(s -> new Token(
                            s.id(),
                            s.text(),
                            s.logprob(),
                            s.top().stream()
                                    .map(a -> new Alternative(a.id(), a.text(), a.logprob()))
                                    .toList()))
                    .toList();
        }
    }
}
