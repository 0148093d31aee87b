package dev.sublinear.api;

import dev.sublinear.api.OpenAiObjects.Completion;
import dev.sublinear.api.OpenAiObjects.CompletionChoice;
import dev.sublinear.api.OpenAiObjects.CompletionLogprobs;
import dev.sublinear.api.OpenAiObjects.StreamOptions;
import dev.sublinear.api.OpenAiObjects.Usage;
import dev.sublinear.jobs.TextCompletions;
import dev.sublinear.jobs.common.InvalidRequestException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/completions}: OpenAI's (legacy) completions, streamed or not. */
@RestController
@Tag(name = "Inference")
class CompletionsController {

    /** OpenAI's default {@code max_tokens} for completions. */
    static final int DEFAULT_MAX_TOKENS = 16;

    private final TextCompletions completions;
    private final Tenant tenant;
    private final InferenceAnswers answers;

    CompletionsController(TextCompletions completions, Tenant tenant, InferenceAnswers answers) {
        this.completions = completions;
        this.tenant = tenant;
        this.answers = answers;
    }

    @Schema(
            description = "OpenAI's completions request. Fields the service cannot honour (suffix, penalties other"
                    + " than 0, logit_bias, best_of above n) are refused with 400 naming them.",
            example = "{\"model\": \"ft:gpt2:acme:ftjob-abc\", \"prompt\": \"Hello\", \"max_tokens\": 16,"
                    + " \"temperature\": 0}")
    record CompletionRequest(
            @NotNull @Size(max = 256) String model,

            @Schema(
                    description =
                            "A string, a list of strings, a list of token ids or a list of lists of token" + " ids")
            @NotNull
            Object prompt,

            @Schema(description = "Tokens to generate per choice (default 16); 0 with echo scores the prompt") @Min(0)
            Integer maxTokens,

            @DecimalMin("0") @DecimalMax("2") Double temperature,

            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1")
            Double topP,

            @Min(1) @Max(128) Integer n,

            @Schema(description = "A string or up to 4 strings")
            Object stop,

            Long seed,

            @Schema(description = "With each token, its log-prob and this many most likely alternatives")
            @Min(0)
            @Max(5)
            Integer logprobs,

            Boolean echo,
            Boolean stream,
            @Valid StreamOptions streamOptions,

            @Schema(description = "Accepted when equal to n") @Min(1)
            Integer bestOf,

            @Schema(description = "Only 0") Double frequencyPenalty,
            @Schema(description = "Only 0") Double presencePenalty,
            @Schema(description = "Only empty") Map<String, Object> logitBias,
            @Schema(description = "Only empty") String suffix,
            @Schema(description = "Accepted and not used") String user) {}

    @PostMapping("/v1/completions")
    @Operation(
            operationId = "createOpenAiCompletion",
            summary = "Create a completion (OpenAI-compatible)",
            description = "Continues each prompt n times (choice p*n+j is prompt p's j-th, sampled with seed+j). With"
                    + " stream, text/event-stream chunks as tokens are generated, then data: [DONE]. Any model the"
                    + " tenant may use that generates text: catalog, models directory, ft:…, ftckpt-…, an uploaded"
                    + " file-…. Runs within sublinear.inference.* (429 with Retry-After past it).")
    @ApiResponse(
            responseCode = "200",
            description = "The completion, or with stream a text/event-stream of completion chunks",
            content = {
                @Content(mediaType = "application/json", schema = @Schema(implementation = Completion.class)),
                @Content(mediaType = "text/event-stream", schema = @Schema(implementation = Completion.class))
            })
    @ApiResponse(
            responseCode = "429",
            description = "Too many generations at once; retry after Retry-After seconds",
            content =
                    @Content(
                            mediaType = "application/problem+json",
                            schema = @Schema(ref = "#/components/schemas/Problem")))
    Object create(@Valid @RequestBody CompletionRequest request, HttpServletRequest http) {
        OpenAiFields.noPenaltiesOrBiases(request.frequencyPenalty(), request.presencePenalty(), request.logitBias());
        if (request.suffix() != null && !request.suffix().isEmpty()) {
            throw OpenAiFields.cannot("suffix", "insertion is not supported; send the text before it as the prompt");
        }
        int n = request.n() == null ? 1 : request.n();
        if (request.bestOf() != null && request.bestOf() != n) {
            throw OpenAiFields.cannot("best_of", "choices are not ranked; leave best_of out or equal to n");
        }
        boolean stream = OpenAiFields.streamed(request.stream(), request.streamOptions());
        List<TextCompletions.Prompt> prompts = prompts(request.prompt());
        boolean echo = Boolean.TRUE.equals(request.echo());
        int maxTokens = request.maxTokens() == null ? DEFAULT_MAX_TOKENS : request.maxTokens();
        if (maxTokens == 0 && !echo) {
            throw new InvalidRequestException("max_tokens", "max_tokens 0 generates nothing; it is for echo: true");
        }
        TextCompletions.Options options = new TextCompletions.Options(
                n,
                maxTokens,
                request.temperature() == null ? 1 : request.temperature(),
                request.topP() == null ? 1 : request.topP(),
                request.seed(),
                OpenAiFields.stop(request.stop()),
                request.logprobs() == null ? -1 : request.logprobs(),
                echo);
        String id = OpenAiObjects.id("cmpl-");
        long created = OpenAiObjects.now();
        String model = request.model();
        // where text_offset starts: OpenAI counts offsets in the prompt and completion together
        int[] offsetBase = new int[prompts.size()];
        for (int p = 0; p < prompts.size(); p++) {
            offsetBase[p] = !echo && prompts.get(p) instanceof TextCompletions.Prompt.Text t
                    ? t.text().length()
                    : 0;
        }
        boolean scored = options.logprobs() >= 0;
        if (!stream) {
            return answers.answer(
                    http,
                    completions.complete(tenant.current(), model, prompts, options, TextCompletions.Listener.NONE),
                    result -> new Completion(
                            id,
                            "text_completion",
                            created,
                            model,
                            null,
                            result.choices().stream()
                                    .map(c -> new CompletionChoice(
                                            c.index(),
                                            c.text(),
                                            scored
                                                    ? CompletionLogprobs.of(c.tokens(), offsetBase[c.index() / n])
                                                    : null,
                                            c.finishReason()))
                                    .toList(),
                            Usage.of(result)));
        }
        boolean usage =
                request.streamOptions() != null && request.streamOptions().usage();
        int[] offsets = offsetBase.length == 0 ? new int[0] : new int[prompts.size() * n];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = offsetBase[i / n];
        }
        return answers.stream(
                http,
                events ->
                        completions.complete(tenant.current(), model, prompts, options, new TextCompletions.Listener() {
                            @Override
                            public void text(int index, String text, List<TextCompletions.Token> tokens) {
                                if (text.isEmpty() && tokens.isEmpty()) {
                                    return;
                                }
                                CompletionLogprobs logprobs =
                                        scored ? CompletionLogprobs.of(tokens, offsets[index]) : null;
                                offsets[index] += tokens.stream()
                                        .mapToInt(t -> t.text().length())
                                        .sum();
                                events.send(chunk(
                                        id, created, model, new CompletionChoice(index, text, logprobs, null), null));
                            }

                            @Override
                            public void finished(TextCompletions.Choice choice) {
                                events.send(chunk(
                                        id,
                                        created,
                                        model,
                                        new CompletionChoice(choice.index(), "", null, choice.finishReason()),
                                        null));
                            }
                        }),
                (events, result) -> {
                    if (usage) {
                        events.send(new Completion(
                                id, "text_completion", created, model, null, List.of(), Usage.of(result)));
                    }
                });
    }

    private static Completion chunk(String id, long created, String model, CompletionChoice choice, Usage usage) {
        return new Completion(id, "text_completion", created, model, null, List.of(choice), usage);
    }

    /** {@code prompt}: a string, a list of strings, a list of token ids, or a list of such lists. */
    static List<TextCompletions.Prompt> prompts(Object prompt) {
        if (prompt instanceof String s) {
            return List.of(new TextCompletions.Prompt.Text(s));
        }
        if (!(prompt instanceof List<?> list) || list.isEmpty()) {
            throw new InvalidRequestException(
                    "prompt", "'prompt' must be a string, a non-empty list of strings, or token ids");
        }
        if (list.get(0) instanceof Number) {
            return List.of(new TextCompletions.Prompt.Tokens(ids(list, "prompt")));
        }
        List<TextCompletions.Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            if (item instanceof String s) {
                prompts.add(new TextCompletions.Prompt.Text(s));
            } else if (item instanceof List<?> ids && !ids.isEmpty()) {
                prompts.add(new TextCompletions.Prompt.Tokens(ids(ids, "prompt[" + i + "]")));
            } else {
                throw new InvalidRequestException(
                        "prompt[" + i + "]", "'prompt[" + i + "]' must be a string or a non-empty list of token ids");
            }
        }
        return prompts;
    }

    private static List<Integer> ids(List<?> list, String param) {
        List<Integer> ids = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Integer id)) {
                throw new InvalidRequestException(param + "[" + i + "]", "a token id must be an integer");
            }
            ids.add(id);
        }
        return ids;
    }
}
