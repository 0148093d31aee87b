package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The official OpenAI SDKs (Java {@code com.openai:openai-java}, Node {@code openai} from npm) pointed
 * at the service with {@code baseUrl} = {@code …/v1} and a tenant's key, as their users do: legacy
 * completions and chat completions, streamed and not, with log-probs, parsed and validated by the
 * SDKs, on a base model and on a model fine-tuned through the service on conversations (OpenAI's
 * messages rows).
 */
class OpenAiSdkTest {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(240);
    private static final String BASE = "tiny-qwen3";
    private static final String PROMPT = "abc";
    private static final int MAX_TOKENS = 6;

    @TempDir
    static Path dir;

    static RunningService service;
    static OpenAIClient client;
    static String fineTuned;

    @BeforeAll
    static void start() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        // ChatML, the conversation format of Qwen's own templates, rendered by the service's Jinja engine
        TinyHfModels.qwen3ChatMl(models.resolve(BASE), WeightType.F32, 21, false);
        service = RunningService.start(dir.resolve("data"), null, "--sublinear.models.dir=" + models);
        String training = service.uploadFile(conversations(dir.resolve("chats.jsonl"), 32), "fine-tune");
        String jobId = service.createJob("""
                {"model": "%s", "training_file": "%s",
                 "hyperparameters": {"max_steps": 4, "batch_size": 8}}""".formatted(BASE, training));
        JsonNode job = service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        fineTuned = job.get("fine_tuned_model").asString();
        assertThat(fineTuned).startsWith("ft:");
        client = OpenAIOkHttpClient.builder()
                .baseUrl(service.baseUrl() + "/v1")
                .apiKey(RunningService.ADMIN_KEY)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(120))
                .build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        service.close();
    }

    private static CompletionCreateParams.Builder completion(String model) {
        return CompletionCreateParams.builder().model(model).prompt(PROMPT).maxTokens(MAX_TOKENS);
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addSystemMessage("You reverse words.")
                .addUserMessage(PROMPT)
                .maxCompletionTokens(MAX_TOKENS);
    }

    @Test
    void javaCompletionsEchoTheScoredPromptAndItsGreedyContinuation() {
        Completion plain = client.completions()
                .create(completion(BASE).temperature(0).build())
                .validate();
        // OpenAI's own answers with echo and logprobs start top_logprobs with null (nothing comes before
        // the first token), which the Java SDK's validate() refuses; ours start it with {}, which it takes
        Completion echoed = client.completions()
                .create(completion(BASE).temperature(0).echo(true).logprobs(2).build())
                .validate();
        assertThat(echoed.id()).startsWith("cmpl-");
        assertThat(echoed._object_()).isEqualTo(JsonValue.from("text_completion"));
        assertThat(echoed.model()).isEqualTo(BASE);
        assertThat(echoed.created()).isPositive();
        assertThat(echoed.choices()).hasSize(1);
        CompletionChoice choice = echoed.choices().get(0);
        assertThat(choice.index()).isZero();
        assertThat(choice.text()).isEqualTo(PROMPT + plain.choices().get(0).text());

        CompletionChoice.Logprobs logprobs = choice.logprobs().orElseThrow();
        List<String> tokens = logprobs.tokens().orElseThrow();
        List<Double> scores = logprobs.tokenLogprobs().orElseThrow();
        List<Long> offsets = logprobs.textOffset().orElseThrow();
        List<CompletionChoice.Logprobs.TopLogprob> tops = logprobs.topLogprobs().orElseThrow();
        CompletionUsage usage = echoed.usage().orElseThrow();
        assertThat(tokens).hasSize((int) (usage.promptTokens() + usage.completionTokens()));
        assertThat(String.join("", tokens.subList(0, (int) usage.promptTokens())))
                .isEqualTo(PROMPT);
        if (tokens.stream().noneMatch(t -> t.contains("\uFFFD"))) {
            // each token a whole character (a random model's bytes need not be)
            assertThat(String.join("", tokens)).isEqualTo(choice.text());
        }
        assertThat(scores).hasSameSizeAs(tokens);
        assertThat(offsets).hasSameSizeAs(tokens);
        assertThat(tops).hasSameSizeAs(tokens);
        assertThat(scores.get(0))
                .as("nothing comes before the first prompt token")
                .isNull();
        assertThat(tops.get(0)._additionalProperties()).isEmpty();
        long offset = 0;
        for (int i = 0; i < tokens.size(); i++) {
            assertThat(offsets.get(i)).as("text_offset %d", i).isEqualTo(offset);
            offset += tokens.get(i).length();
            if (i == 0) {
                continue;
            }
            assertThat(scores.get(i)).as("token %d", i).isLessThanOrEqualTo(0.0);
            Map<String, Double> top = topScores(tops.get(i));
            assertThat(top).as("top_logprobs %d", i).hasSizeBetween(1, 2);
            double best =
                    top.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertThat(scores.get(i)).as("token %d", i).isLessThanOrEqualTo(best + 1e-6);
            if (i >= usage.promptTokens()) {
                // greedy: each generated token is the most likely one
                assertThat(scores.get(i)).as("generated token %d", i).isCloseTo(best, within(1e-6));
                assertThat(top).containsKey(tokens.get(i));
            }
        }
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
        assertThat(usage.completionTokens()).isBetween(1L, (long) MAX_TOKENS);
        assertThat(choice.finishReason())
                .isEqualTo(
                        usage.completionTokens() == MAX_TOKENS
                                ? CompletionChoice.FinishReason.LENGTH
                                : CompletionChoice.FinishReason.STOP);

        Completion scoredOnly = client.completions()
                .create(completion(BASE).maxTokens(0).echo(true).logprobs(0).build())
                .validate();
        List<Double> promptScores = scoredOnly
                .choices()
                .get(0)
                .logprobs()
                .orElseThrow()
                .tokenLogprobs()
                .orElseThrow();
        assertThat(scoredOnly.choices().get(0).text()).isEqualTo(PROMPT);
        assertThat(promptScores).hasSize((int) usage.promptTokens());
        for (int i = 1; i < promptScores.size(); i++) {
            assertThat(promptScores.get(i)).isCloseTo(scores.get(i), within(1e-5));
        }
    }

    @Test
    void javaStreamedCompletionsConcatenateToTheAnswerOfTheSameRequest() {
        for (CompletionCreateParams params : List.of(
                completion(fineTuned).temperature(0).build(),
                completion(fineTuned).temperature(1.0).seed(7).build())) {
            Completion whole = client.completions().create(params).validate();
            Completion again = client.completions().create(params).validate();
            assertThat(again.choices().get(0).text())
                    .as("the same seed, the same text")
                    .isEqualTo(whole.choices().get(0).text());
            List<Completion> chunks = new ArrayList<>();
            try (StreamResponse<Completion> stream = client.completions().createStreaming(params)) {
                stream.stream().forEach(chunks::add);
            }
            // a chunk's finish_reason is null until the choice's last, as OpenAI streams them, and the
            // SDK's validate() requires one: the last chunk validates
            assertThat(chunks.size()).as("one chunk per token at least").isGreaterThan(1);
            chunks.get(chunks.size() - 1).validate();
            assertThat(chunks.subList(0, chunks.size() - 1))
                    .allSatisfy(
                            c -> assertThat(c.choices().get(0)._finishReason().isNull())
                                    .isTrue());
            assertThat(chunks).allSatisfy(c -> {
                assertThat(c.id()).isEqualTo(chunks.get(0).id());
                assertThat(c._object_()).isEqualTo(JsonValue.from("text_completion"));
                assertThat(c.model()).isEqualTo(fineTuned);
            });
            String streamed = chunks.stream()
                    .flatMap(c -> c.choices().stream())
                    .map(CompletionChoice::text)
                    .collect(Collectors.joining());
            assertThat(streamed).isEqualTo(whole.choices().get(0).text());
            CompletionChoice last = chunks.get(chunks.size() - 1).choices().get(0);
            assertThat(last.finishReason()).isEqualTo(whole.choices().get(0).finishReason());
        }
    }

    @Test
    void javaCompletionsHonourNAndStop() {
        Completion two = client.completions()
                .create(completion(fineTuned).temperature(1.0).seed(3).n(2).build())
                .validate();
        assertThat(two.choices()).extracting(CompletionChoice::index).containsExactly(0L, 1L);
        assertThat(two.usage().orElseThrow().completionTokens())
                .isEqualTo(two.usage().orElseThrow().totalTokens()
                        - two.usage().orElseThrow().promptTokens());

        String greedy = client.completions()
                .create(completion(fineTuned).temperature(0).build())
                .validate()
                .choices()
                .get(0)
                .text();
        assertThat(greedy).isNotEmpty();
        String stop = greedy.substring(greedy.length() / 2, greedy.length() / 2 + 1);
        CompletionChoice stopped = client.completions()
                .create(completion(fineTuned).temperature(0).stop(stop).build())
                .validate()
                .choices()
                .get(0);
        assertThat(stopped.text()).isEqualTo(greedy.substring(0, greedy.indexOf(stop)));
        assertThat(stopped.finishReason()).isEqualTo(CompletionChoice.FinishReason.STOP);
    }

    @Test
    void javaChatWithTheFineTunedModelStreamsWhatItAnswersWhole() {
        ChatCompletion whole = client.chat()
                .completions()
                .create(chat(fineTuned)
                        .temperature(0)
                        .logprobs(true)
                        .topLogprobs(2)
                        .build())
                .validate();
        assertThat(whole.id()).startsWith("chatcmpl-");
        assertThat(whole._object_()).isEqualTo(JsonValue.from("chat.completion"));
        assertThat(whole.model()).isEqualTo(fineTuned);
        assertThat(whole.choices()).hasSize(1);
        ChatCompletion.Choice choice = whole.choices().get(0);
        assertThat(choice.message()._role()).isEqualTo(JsonValue.from("assistant"));
        String content = choice.message().content().orElseThrow();
        List<ChatCompletionTokenLogprob> scores =
                choice.logprobs().orElseThrow().content().orElseThrow();
        CompletionUsage usage = whole.usage().orElseThrow();
        assertThat(scores).hasSize((int) usage.completionTokens());
        if (scores.stream().noneMatch(t -> t.token().contains("\uFFFD"))) {
            assertThat(scores.stream().map(ChatCompletionTokenLogprob::token).collect(Collectors.joining()))
                    .isEqualTo(content);
        }
        for (ChatCompletionTokenLogprob score : scores) {
            assertThat(score.topLogprobs()).hasSize(2);
            assertThat(score.topLogprobs().get(0).logprob())
                    .isGreaterThanOrEqualTo(score.topLogprobs().get(1).logprob());
            // greedy: the chosen token is the most likely one
            assertThat(score.topLogprobs().get(0).token()).isEqualTo(score.token());
            assertThat(score.logprob()).isCloseTo(score.topLogprobs().get(0).logprob(), within(1e-6));
        }
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());

        List<ChatCompletionChunk> chunks = new ArrayList<>();
        ChatCompletionCreateParams streamed = chat(fineTuned)
                .temperature(0)
                .streamOptions(
                        ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(streamed)) {
            stream.stream().forEach(c -> chunks.add(c.validate()));
        }
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.id()).isEqualTo(chunks.get(0).id());
            assertThat(c._object_()).isEqualTo(JsonValue.from("chat.completion.chunk"));
            assertThat(c.model()).isEqualTo(fineTuned);
        });
        assertThat(chunks.get(0).choices().get(0).delta().role())
                .contains(ChatCompletionChunk.Choice.Delta.Role.ASSISTANT);
        List<ChatCompletionChunk> withChoices =
                chunks.stream().filter(c -> !c.choices().isEmpty()).toList();
        assertThat(withChoices.size()).as("chunks as tokens come").isGreaterThan(1);
        assertThat(withChoices.stream()
                        .map(c -> c.choices().get(0).delta().content().orElse(""))
                        .collect(Collectors.joining()))
                .isEqualTo(content);
        assertThat(withChoices.get(withChoices.size() - 1).choices().get(0).finishReason())
                .map(ChatCompletionChunk.Choice.FinishReason::asString)
                .contains(choice.finishReason().asString());
        ChatCompletionChunk usageChunk = chunks.get(chunks.size() - 1);
        assertThat(usageChunk.choices())
                .as("include_usage: a last chunk without choices")
                .isEmpty();
        assertThat(usageChunk.usage().orElseThrow().completionTokens()).isEqualTo(usage.completionTokens());
        assertThat(usageChunk.usage().orElseThrow().promptTokens()).isEqualTo(usage.promptTokens());

        ChatCompletion seeded = client.chat()
                .completions()
                .create(chat(fineTuned).temperature(1.0).seed(11).n(2).build())
                .validate();
        assertThat(seeded.choices()).extracting(ChatCompletion.Choice::index).containsExactly(0L, 1L);
        assertThat(client.chat()
                        .completions()
                        .create(chat(fineTuned).temperature(1.0).seed(11).n(2).build())
                        .validate()
                        .choices())
                .extracting(c -> c.message().content().orElseThrow())
                .containsExactlyElementsOf(seeded.choices().stream()
                        .map(c -> c.message().content().orElseThrow())
                        .toList());
    }

    @Test
    void javaSdkUsersSeeTheServicesRefusalsAsTheSdksErrors() {
        assertThatThrownBy(() ->
                        client.chat().completions().create(chat("no-such-model").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.body().toString()).contains("model");
                    // the SDK reads OpenAI's error envelope: the problem's words reach the user
                    assertThat(e.getMessage()).contains("no-such-model");
                });
    }

    @Test
    void theNodeSdkChatsWithTheFineTunedModelStreamed() throws Exception {
        ObjectNode plan = RunningService.JSON.createObjectNode();
        plan.put("baseURL", service.baseUrl() + "/v1");
        plan.put("apiKey", RunningService.ADMIN_KEY);
        plan.put("model", fineTuned);
        plan.put("prompt", PROMPT);
        plan.put("maxTokens", MAX_TOKENS);
        plan.putArray("messages").addObject().put("role", "system").put("content", "You reverse words.");
        ((ArrayNode) plan.get("messages")).addObject().put("role", "user").put("content", PROMPT);
        JsonNode result = OpenAiNodeSdk.drive(plan);

        JsonNode completion = result.get("completion");
        assertThat(completion.get("object").asString()).isEqualTo("text_completion");
        JsonNode choice = completion.get("choices").get(0);
        String echoed = choice.get("text").asString();
        assertThat(echoed).startsWith(PROMPT);
        JsonNode logprobs = choice.get("logprobs");
        assertThat(logprobs.get("token_logprobs").get(0).isNull()).isTrue();
        assertThat(logprobs.get("tokens"))
                .hasSize(logprobs.get("token_logprobs").size());
        assertThat(logprobs.get("text_offset")).hasSize(logprobs.get("tokens").size());

        JsonNode completionChunks = result.get("completionStream").get("chunks");
        assertThat(completionChunks.size()).isGreaterThan(1);
        StringBuilder streamedText = new StringBuilder();
        completionChunks.forEach(c -> c.get("choices")
                .forEach(ch -> streamedText.append(ch.get("text").asString())));
        assertThat(PROMPT + streamedText)
                .as("streamed = echoed minus the prompt")
                .isEqualTo(echoed);

        ChatCompletion javaAnswer = client.chat()
                .completions()
                .create(chat(fineTuned).temperature(0).build())
                .validate();
        String content = javaAnswer.choices().get(0).message().content().orElseThrow();
        JsonNode chat = result.get("chat");
        assertThat(chat.get("object").asString()).isEqualTo("chat.completion");
        assertThat(chat.get("model").asString()).isEqualTo(fineTuned);
        assertThat(chat.get("choices").get(0).get("message").get("content").asString())
                .as("the Node SDK's answer is the Java SDK's")
                .isEqualTo(content);
        JsonNode chatScores = chat.get("choices").get(0).get("logprobs").get("content");
        assertThat(chatScores)
                .hasSize(chat.get("usage").get("completion_tokens").asInt());
        chatScores.forEach(s -> assertThat(s.get("top_logprobs")).hasSize(2));

        JsonNode chatChunks = result.get("chatStream").get("chunks");
        StringBuilder streamedChat = new StringBuilder();
        int contentChunks = 0;
        for (JsonNode c : chatChunks) {
            assertThat(c.get("object").asString()).isEqualTo("chat.completion.chunk");
            for (JsonNode ch : c.get("choices")) {
                JsonNode piece = ch.get("delta").get("content");
                if (piece != null && !piece.isNull() && !piece.asString().isEmpty()) {
                    streamedChat.append(piece.asString());
                    contentChunks++;
                }
            }
        }
        assertThat(streamedChat.toString()).isEqualTo(content);
        assertThat(contentChunks).as("token by token").isGreaterThan(1);
        JsonNode lastChunk = chatChunks.get(chatChunks.size() - 1);
        assertThat(lastChunk.get("choices")).isEmpty();
        assertThat(lastChunk.get("usage").get("completion_tokens").asLong())
                .isEqualTo(javaAnswer.usage().orElseThrow().completionTokens());

        JsonNode refused = result.get("unknownModel");
        assertThat(refused.get("thrown").asBoolean()).isTrue();
        assertThat(refused.get("type").asString()).isEqualTo("NotFoundError");
        assertThat(refused.get("status").asInt()).isEqualTo(404);
        // before problems carried OpenAI's error envelope, this read "404 status code (no body)"
        assertThat(refused.get("message").asString()).contains("no-such-model");
    }

    /** Conversations in OpenAI's chat format: the user says a word, the assistant says it reversed. */
    private static Path conversations(Path file, int count) throws IOException {
        List<String> lines = new ArrayList<>();
        Path words = SyntheticData.reversal(file.resolveSibling("words.jsonl"), count, 1);
        for (String line : Files.readAllLines(words)) {
            JsonObject row = JsonParser.parseString(line).getAsJsonObject();
            lines.add("""
                    {"messages": [{"role": "system", "content": "You reverse words."},
                     {"role": "user", "content": "%s"}, {"role": "assistant", "content": "%s"}]}""".formatted(
                    row.get("prompt").getAsString(), row.get("completion").getAsString()).replace("\n", ""));
        }
        return SyntheticData.write(file, lines);
    }

    /** A legacy completion's top_logprobs entry: a map from token to log-prob. */
    private static Map<String, Double> topScores(CompletionChoice.Logprobs.TopLogprob top) {
        Map<String, Double> scores = new HashMap<>();
        top._additionalProperties().forEach((token, value) -> {
            scores.put(token, value.convert(Double.class));
        });
        return scores;
    }
}
