package dev.sublinear.api;

import dev.sublinear.api.OpenAiObjects.AssistantMessage;
import dev.sublinear.api.OpenAiObjects.ChatChoice;
import dev.sublinear.api.OpenAiObjects.ChatCompletion;
import dev.sublinear.api.OpenAiObjects.ChatCompletionChunk;
import dev.sublinear.api.OpenAiObjects.ChatLogprobs;
import dev.sublinear.api.OpenAiObjects.ChunkChoice;
import dev.sublinear.api.OpenAiObjects.Delta;
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
import java.util.Set;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/chat/completions}: OpenAI's chat completions, streamed or not. */
@RestController
@Tag(name = "Inference")
class ChatCompletionsController {

    /** Roles a conversation may have; {@code developer} is OpenAI's newer name for {@code system}. */
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    private final TextCompletions completions;
    private final Tenant tenant;
    private final InferenceAnswers answers;

    ChatCompletionsController(TextCompletions completions, Tenant tenant, InferenceAnswers answers) {
        this.completions = completions;
        this.tenant = tenant;
        this.answers = answers;
    }

    @Schema(description = "A turn of the conversation.", example = "{\"role\": \"user\", \"content\": \"Hello\"}")
    record Message(
            @NotNull @Schema(allowableValues = {"system", "developer", "user", "assistant"})
            String role,

            @Schema(description = "A string, or a list of {type: text, text} parts")
            Object content,

            @Schema(description = "Accepted and not used") String name,
            @Schema(description = "Only null") Object refusal,
            @Schema(description = "Only empty") Object toolCalls,
            @Schema(description = "Only null") String toolCallId,
            @Schema(description = "Only null") Object functionCall,
            @Schema(description = "Only null") Object audio) {}

    @Schema(
            description = "OpenAI's chat completions request. Fields the service cannot honour (tools, response"
                    + " formats other than text, audio, penalties other than 0, logit_bias, …) are refused with"
                    + " 400 naming them; user, metadata, store, service_tier and the like are accepted and not used.",
            example = "{\"model\": \"ft:qwen3:acme:ftjob-abc\", \"messages\": [{\"role\": \"user\", \"content\":"
                    + " \"Hello\"}], \"max_completion_tokens\": 64, \"stream\": true}")
    record ChatCompletionRequest(
            @NotNull @Size(max = 256) String model,
            @NotNull @Size(min = 1, max = 1024) List<@Valid @NotNull Message> messages,

            @Schema(description = "Tokens to generate per choice (default: as many as the context leaves)") @Min(1)
            Integer maxCompletionTokens,

            @Schema(description = "Older name of max_completion_tokens", deprecated = true) @Min(1)
            Integer maxTokens,

            @DecimalMin("0") @DecimalMax("2") Double temperature,

            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1")
            Double topP,

            @Min(1) @Max(128) Integer n,

            @Schema(description = "A string or up to 4 strings")
            Object stop,

            Long seed,
            Boolean logprobs,
            @Min(0) @Max(20) Integer topLogprobs,
            Boolean stream,
            @Valid StreamOptions streamOptions,
            @Schema(description = "Only 0") Double frequencyPenalty,
            @Schema(description = "Only 0") Double presencePenalty,
            @Schema(description = "Only empty") Map<String, Object> logitBias,
            @Schema(description = "Only empty") Object tools,
            @Schema(description = "Only none or auto") Object toolChoice,
            @Schema(description = "Accepted and not used") Boolean parallelToolCalls,
            @Schema(description = "Only empty") Object functions,
            @Schema(description = "Only none or auto") Object functionCall,
            @Schema(description = "Only {type: text}") Object responseFormat,
            @Schema(description = "Only null") Object audio,
            @Schema(description = "Only [text]") List<String> modalities,
            @Schema(description = "Only null") Object prediction,
            @Schema(description = "Only null") String reasoningEffort,
            @Schema(description = "Only null") String verbosity,
            @Schema(description = "Only null") Object webSearchOptions,
            @Schema(description = "Accepted and not used") String serviceTier,
            @Schema(description = "Accepted and not used") Boolean store,
            @Schema(description = "Accepted and not used") Map<String, String> metadata,
            @Schema(description = "Accepted and not used") String user,
            @Schema(description = "Accepted and not used") String promptCacheKey,
            @Schema(description = "Accepted and not used") String safetyIdentifier) {}

    @PostMapping("/v1/chat/completions")
    @Operation(
            operationId = "createChatCompletion",
            summary = "Create a chat completion (OpenAI-compatible)",
            description = "Renders the messages with the model's chat template (its generation prompt added) and"
                    + " continues them n times (choice j sampled with seed+j). With stream, text/event-stream"
                    + " chunks as tokens are generated, then data: [DONE]. A model without a chat template is"
                    + " refused (400, param model). Runs within sublinear.inference.* (429 with Retry-After past"
                    + " it).")
    @ApiResponse(
            responseCode = "200",
            description = "The chat completion, or with stream a text/event-stream of chunks",
            content = {
                @Content(mediaType = "application/json", schema = @Schema(implementation = ChatCompletion.class)),
                @Content(mediaType = "text/event-stream", schema = @Schema(implementation = ChatCompletionChunk.class))
            })
    @ApiResponse(
            responseCode = "429",
            description = "Too many generations at once; retry after Retry-After seconds",
            content =
                    @Content(
                            mediaType = "application/problem+json",
                            schema = @Schema(ref = "#/components/schemas/Problem")))
    Object create(@Valid @RequestBody ChatCompletionRequest request, HttpServletRequest http) {
        refuseUnsupported(request);
        List<TextCompletions.Turn> turns = turns(request.messages());
        int n = request.n() == null ? 1 : request.n();
        boolean stream = OpenAiFields.streamed(request.stream(), request.streamOptions());
        boolean scored = Boolean.TRUE.equals(request.logprobs());
        if (request.topLogprobs() != null && !scored) {
            throw new InvalidRequestException("top_logprobs", "'top_logprobs' needs logprobs: true");
        }
        Integer asked = request.maxCompletionTokens() != null ? request.maxCompletionTokens() : request.maxTokens();
        TextCompletions.Options options = new TextCompletions.Options(
                n,
                asked == null ? TextCompletions.REST_OF_CONTEXT : asked,
                request.temperature() == null ? 1 : request.temperature(),
                request.topP() == null ? 1 : request.topP(),
                request.seed(),
                OpenAiFields.stop(request.stop()),
                scored ? (request.topLogprobs() == null ? 0 : request.topLogprobs()) : -1,
                false);
        List<TextCompletions.Prompt> prompt = List.of(new TextCompletions.Prompt.Chat(turns));
        String id = OpenAiObjects.id("chatcmpl-");
        long created = OpenAiObjects.now();
        String model = request.model();
        if (!stream) {
            return answers.answer(
                    http,
                    completions.complete(tenant.current(), model, prompt, options, TextCompletions.Listener.NONE),
                    result -> new ChatCompletion(
                            id,
                            "chat.completion",
                            created,
                            model,
                            null,
                            result.choices().stream()
                                    .map(c -> new ChatChoice(
                                            c.index(),
                                            new AssistantMessage("assistant", c.text(), null),
                                            scored ? ChatLogprobs.of(c.tokens()) : null,
                                            c.finishReason()))
                                    .toList(),
                            Usage.of(result)));
        }
        boolean usage =
                request.streamOptions() != null && request.streamOptions().usage();
        boolean[] opened = new boolean[n];
        return answers.stream(
                http,
                events ->
                        completions.complete(tenant.current(), model, prompt, options, new TextCompletions.Listener() {
                            @Override
                            public void text(int index, String text, List<TextCompletions.Token> tokens) {
                                open(index);
                                if (text.isEmpty() && tokens.isEmpty()) {
                                    return;
                                }
                                events.send(chunk(new ChunkChoice(
                                        index, new Delta(null, text), scored ? ChatLogprobs.of(tokens) : null, null)));
                            }

                            @Override
                            public void finished(TextCompletions.Choice choice) {
                                open(choice.index());
                                events.send(chunk(new ChunkChoice(
                                        choice.index(), new Delta(null, null), null, choice.finishReason())));
                            }

                            /** A choice's first chunk names the role, as OpenAI's does. */
                            private void open(int index) {
                                if (!opened[index]) {
                                    opened[index] = true;
                                    events.send(chunk(new ChunkChoice(index, new Delta("assistant", ""), null, null)));
                                }
                            }

                            private ChatCompletionChunk chunk(ChunkChoice choice) {
                                return new ChatCompletionChunk(
                                        id, "chat.completion.chunk", created, model, null, List.of(choice), null);
                            }
                        }),
                (events, result) -> {
                    if (usage) {
                        events.send(new ChatCompletionChunk(
                                id, "chat.completion.chunk", created, model, null, List.of(), Usage.of(result)));
                    }
                });
    }

    private static void refuseUnsupported(ChatCompletionRequest r) {
        OpenAiFields.noPenaltiesOrBiases(r.frequencyPenalty(), r.presencePenalty(), r.logitBias());
        OpenAiFields.absent(r.tools(), "tools", "the models here do not call tools");
        OpenAiFields.absent(r.functions(), "functions", "the models here do not call functions");
        OpenAiFields.oneOf(r.toolChoice(), "tool_choice", Set.of("none", "auto"), "the models here do not call tools");
        OpenAiFields.oneOf(
                r.functionCall(), "function_call", Set.of("none", "auto"), "the models here do not call functions");
        OpenAiFields.oneOf(
                r.responseFormat(), "response_format", Set.of("text"), "only text answers; no JSON mode or schemas");
        OpenAiFields.absent(r.audio(), "audio", "the models here answer in text only");
        if (r.modalities() != null && !r.modalities().stream().allMatch("text"::equals)) {
            throw OpenAiFields.cannot("modalities", "the models here answer in text only");
        }
        OpenAiFields.absent(r.prediction(), "prediction", "predicted outputs are not supported");
        OpenAiFields.absent(r.reasoningEffort(), "reasoning_effort", "the models here have no reasoning settings");
        OpenAiFields.absent(r.verbosity(), "verbosity", "the models here have no verbosity setting");
        OpenAiFields.absent(r.webSearchOptions(), "web_search_options", "the service does not search the web");
    }

    /** The messages as turns: content a string or text parts; developer is system. */
    private static List<TextCompletions.Turn> turns(List<Message> messages) {
        List<TextCompletions.Turn> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            String at = "messages[" + i + "]";
            if (!ROLES.contains(m.role())) {
                throw new InvalidRequestException(
                        at + ".role",
                        "role '" + InvalidRequestException.echo(m.role())
                                + "' is not supported; use system, developer, user or assistant");
            }
            OpenAiFields.absent(m.toolCalls(), at + ".tool_calls", "the models here do not call tools");
            OpenAiFields.absent(m.toolCallId(), at + ".tool_call_id", "the models here do not call tools");
            OpenAiFields.absent(m.functionCall(), at + ".function_call", "the models here do not call functions");
            OpenAiFields.absent(m.audio(), at + ".audio", "the models here take text only");
            OpenAiFields.absent(m.refusal(), at + ".refusal", "a refusal is not part of a prompt here");
            String role = "developer".equals(m.role()) ? "system" : m.role();
            turns.add(new TextCompletions.Turn(role, content(m.content(), at + ".content")));
        }
        return turns;
    }

    private static String content(Object content, String param) {
        if (content instanceof String s) {
            return s;
        }
        if (!(content instanceof List<?> parts)) {
            throw new InvalidRequestException(param, "'" + param + "' must be a string or a list of text parts");
        }
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < parts.size(); j++) {
            String at = param + "[" + j + "]";
            if (!(parts.get(j) instanceof Map<?, ?> part)
                    || !"text".equals(part.get("type"))
                    || !(part.get("text") instanceof String s)) {
                throw new InvalidRequestException(
                        at,
                        "'" + at
                                + "' must be a {\"type\": \"text\", \"text\": …} part; the models here take text only");
            }
            // parts are joined with a newline, as vLLM joins them for a text-only template
            text.append(j == 0 ? "" : "\n").append(s);
        }
        return text.toString();
    }
}
