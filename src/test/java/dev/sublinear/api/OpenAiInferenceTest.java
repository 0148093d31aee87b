package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.testing.TorchReference;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/completions} and {@code /v1/chat/completions} over HTTP, in OpenAI's shapes, on tiny
 * Hugging Face models of the operator's models directory, an uploaded one and a catalog model: scores
 * against PyTorch, chat prompts against python3-jinja2's render of the template, streams against the
 * whole answers, and the errors.
 */
class OpenAiInferenceTest {

    private static final Path SCORER = Path.of("src/test/python/hf_export_logprobs.py");
    private static final Path RENDERER = Path.of("src/test/python/chat_prompt_reference.py");

    @TempDir
    static Path dir;

    static Path models;
    static RunningService service;

    @BeforeAll
    static void start() throws Exception {
        models = Files.createDirectories(dir.resolve("models"));
        TinyHfModels.gpt2(models.resolve("tiny-gpt2"), WeightType.F32, 21);
        TinyHfModels.llama(models.resolve("tiny-llama"), "llama", WeightType.F32, 22);
        // ChatML with room for a conversation, one byte a token
        Path qwen = TinyHfModels.qwen3ChatMl(models.resolve("tiny-qwen3"), WeightType.BF16, 23, false);
        // templates that cannot render: one refuses a system turn as Mistral's do, one uses a filter
        // that no Jinja has
        template(
                qwen,
                models.resolve("tiny-strict"),
                "{% for m in messages %}{% if m['role'] == 'system' %}"
                        + "{{ raise_exception('System role not supported') }}{% endif %}"
                        + "{{ m['content'] }}{% endfor %}");
        template(qwen, models.resolve("tiny-unknown-filter"), "{{ messages[0]['content'] | no_such_filter }}");
        service = RunningService.start(
                dir.resolve("data"),
                null,
                "--sublinear.models.dir=" + models,
                "--sublinear.inference.max-tokens-per-request=200");
    }

    /** A copy of {@code model} whose chat template is {@code template}. */
    private static void template(Path model, Path copy, String template) throws IOException {
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(model)) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        JsonObject config = new JsonObject();
        config.addProperty("chat_template", template);
        config.addProperty("eos_token", "<|endoftext|>");
        Files.writeString(copy.resolve("tokenizer_config.json"), config.toString());
    }

    @Test
    void aTemplateThatCannotRenderIsAProblemNamingItsConstruct() {
        String strict = "{\"model\": \"tiny-strict\", \"messages\": [{\"role\": \"system\", \"content\": \"x\"},"
                + " {\"role\": \"user\", \"content\": \"hi\"}], \"max_completion_tokens\": 2%s}";
        for (String stream : new String[] {"", ", \"stream\": true"}) {
            JsonNode p = service.post("/v1/chat/completions", strict.formatted(stream))
                    .expect(400)
                    .json();
            assertThat(p.get("param").asString()).isEqualTo("messages");
            assertThat(p.get("detail").asString()).contains("System role not supported");
        }
        // without a system turn the same template renders
        service.post(
                        "/v1/chat/completions",
                        "{\"model\": \"tiny-strict\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}],"
                                + " \"max_completion_tokens\": 2}")
                .expect(200);
        JsonNode unknown = service.post(
                        "/v1/chat/completions",
                        "{\"model\": \"tiny-unknown-filter\", \"messages\": [{\"role\": \"user\", \"content\":"
                                + " \"hi\"}]}")
                .expect(400)
                .json();
        assertThat(unknown.get("param").asString()).isIn("model", "messages");
        assertThat(unknown.get("detail").asString()).contains("no_such_filter");
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aCompletionHasOpenAisShape() {
        long before = System.currentTimeMillis() / 1000;
        JsonNode c = service.post("/v1/completions", """
                        {"model": "tiny-gpt2", "prompt": ["the cat", "a dog"], "max_tokens": 5, "n": 2,
                         "temperature": 0.8, "seed": 7, "user": "u-1", "frequency_penalty": 0,
                         "presence_penalty": 0, "best_of": 2, "logit_bias": {}}""").expect(200).json();
        assertThat(c.get("id").asString()).startsWith("cmpl-");
        assertThat(c.get("object").asString()).isEqualTo("text_completion");
        assertThat(c.get("created").asLong()).isBetween(before, System.currentTimeMillis() / 1000);
        assertThat(c.get("model").asString()).isEqualTo("tiny-gpt2");
        assertThat(c.has("system_fingerprint")).isTrue();
        JsonNode choices = c.get("choices");
        assertThat(choices.size()).isEqualTo(4);
        int generated = 0;
        for (int i = 0; i < 4; i++) {
            JsonNode choice = choices.get(i);
            assertThat(choice.get("index").asInt()).isEqualTo(i);
            assertThat(choice.get("text").isString()).isTrue();
            assertThat(choice.get("finish_reason").asString()).isIn("stop", "length");
            assertThat(choice.get("logprobs").isNull()).isTrue();
        }
        JsonNode usage = c.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isPositive();
        assertThat(usage.get("completion_tokens").asInt()).isBetween(1, 20);
        assertThat(usage.get("total_tokens").asInt())
                .isEqualTo(usage.get("prompt_tokens").asInt()
                        + usage.get("completion_tokens").asInt());

        // the same seed gives the same choices; choice j of a prompt is sampled with seed + j
        JsonNode again = service.post(
                        "/v1/completions",
                        "{\"model\": \"tiny-gpt2\", \"prompt\": \"a dog\", \"max_tokens\": 5, \"temperature\": 0.8,"
                                + " \"seed\": 8}")
                .expect(200)
                .json();
        assertThat(again.get("choices").get(0).get("text").asString())
                .isEqualTo(choices.get(3).get("text").asString());
    }

    @Test
    void aCatalogModelCompletesAndStreamsTheSameText() throws Exception {
        String body = "{\"model\": \"lm-tiny\", \"prompt\": \"abc\", \"max_tokens\": 12, \"temperature\": 0%s}";
        JsonNode whole =
                service.post("/v1/completions", body.formatted("")).expect(200).json();
        List<JsonNode> chunks = stream(
                "/v1/completions",
                body.formatted(", \"stream\": true," + " \"stream_options\": {\"include_usage\": true}"));
        StringBuilder text = new StringBuilder();
        JsonNode last = chunks.get(chunks.size() - 1);
        for (JsonNode chunk : chunks.subList(0, chunks.size() - 1)) {
            assertThat(chunk.get("object").asString()).isEqualTo("text_completion");
            assertThat(chunk.get("id").asString())
                    .isEqualTo(chunks.get(0).get("id").asString());
            text.append(chunk.get("choices").get(0).get("text").asString());
        }
        assertThat(text.toString())
                .isEqualTo(whole.get("choices").get(0).get("text").asString());
        JsonNode finish = chunks.get(chunks.size() - 2).get("choices").get(0);
        assertThat(finish.get("finish_reason").asString())
                .isEqualTo(whole.get("choices").get(0).get("finish_reason").asString());
        assertThat(last.get("choices").size()).isZero();
        assertThat(last.get("usage")).isEqualTo(whole.get("usage"));
    }

    /** Echoed prompt scores equal PyTorch's log-softmax of the same model's logits, to 1e-4. */
    @ParameterizedTest
    @CsvSource({"tiny-gpt2", "tiny-llama", "tiny-qwen3"})
    void echoedPromptScoresEqualTheReference(String model) throws Exception {
        int[] ids = {104, 101, 256, 32, 97, 98, 116, 257, 101, 99, 32, 120};
        Path idsFile = dir.resolve(model + "-ids.json");
        Files.writeString(idsFile, "[" + Arrays.toString(ids) + "]");
        Path out = dir.resolve(model + "-reference.json");
        TorchReference.run("echo scores", SCORER, models.resolve(model).toString(), idsFile.toString(), out.toString());
        JsonArray reference = JsonParser.parseString(Files.readString(out))
                .getAsJsonObject()
                .getAsJsonArray("log_probs")
                .get(0)
                .getAsJsonArray();

        JsonNode c = service.post(
                        "/v1/completions",
                        "{\"model\": \"%s\", \"prompt\": %s, \"max_tokens\": 0, \"echo\": true, \"logprobs\": 5}"
                                .formatted(model, Arrays.toString(ids)))
                .expect(200)
                .json();
        JsonNode logprobs = c.get("choices").get(0).get("logprobs");
        assertThat(logprobs.get("tokens").size()).isEqualTo(ids.length);
        assertThat(logprobs.get("token_logprobs").get(0).isNull()).isTrue();
        assertThat(logprobs.get("top_logprobs").get(0).isEmpty()).isTrue();
        for (int t = 1; t < ids.length; t++) {
            JsonArray row = reference.get(t - 1).getAsJsonArray();
            assertThat(logprobs.get("token_logprobs").get(t).asDouble())
                    .as("token %d of %s", t, model)
                    .isCloseTo(row.get(ids[t]).getAsDouble(), within(1e-4));
            double best = IntStream.range(0, row.size())
                    .mapToDouble(v -> row.get(v).getAsDouble())
                    .max()
                    .orElseThrow();
            JsonNode top = logprobs.get("top_logprobs").get(t);
            assertThat(top.size()).isBetween(1, 5);
            double serviceBest = Double.NEGATIVE_INFINITY;
            for (JsonNode value : top) {
                serviceBest = Math.max(serviceBest, value.asDouble());
            }
            assertThat(serviceBest).isCloseTo(best, within(1e-4));
        }
        assertThat(c.get("usage").get("prompt_tokens").asInt()).isEqualTo(ids.length);
        assertThat(c.get("usage").get("completion_tokens").asInt()).isZero();
        assertThat(c.get("choices").get(0).get("finish_reason").asString()).isEqualTo("length");
    }

    /**
     * A chat completion continues the conversation as python3-jinja2 renders it with the model's
     * template; streamed, its chunks are OpenAI's (role first, then content, then finish_reason, then
     * usage) and their content is the whole answer's.
     */
    @Test
    void aChatContinuesTheTemplatesRenderAndStreamsTheSameAnswer() throws Exception {
        String messages = "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\":"
                + " [{\"type\": \"text\", \"text\": \"Hello\"}]}]";
        Path template = dir.resolve("chatml.jinja");
        Files.writeString(template, TinyHfModels.CHATML);
        Path messagesFile = dir.resolve("messages.json");
        Files.writeString(
                messagesFile,
                "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hello\"}]");
        Path rendered = dir.resolve("rendered.txt");
        TorchReference.run(
                "chat template", RENDERER, template.toString(), messagesFile.toString(), rendered.toString());
        String prompt = Files.readString(rendered);

        String chat = "{\"model\": \"tiny-qwen3\", \"messages\": %s, \"max_completion_tokens\": 10, \"temperature\": 0,"
                + " \"logprobs\": true, \"top_logprobs\": 2%s}";
        JsonNode whole = service.post("/v1/chat/completions", chat.formatted(messages, ""))
                .expect(200)
                .json();
        assertThat(whole.get("id").asString()).startsWith("chatcmpl-");
        assertThat(whole.get("object").asString()).isEqualTo("chat.completion");
        JsonNode choice = whole.get("choices").get(0);
        assertThat(choice.get("message").get("role").asString()).isEqualTo("assistant");
        String answer = choice.get("message").get("content").asString();
        JsonNode content = choice.get("logprobs").get("content");
        assertThat(content.size()).isPositive();
        for (JsonNode token : content) {
            assertThat(token.get("token").isString()).isTrue();
            assertThat(token.get("logprob").asDouble()).isLessThanOrEqualTo(0);
            assertThat(token.get("bytes").isArray()).isTrue();
            assertThat(token.get("top_logprobs").size()).isEqualTo(2);
            assertThat(token.get("top_logprobs").get(0).get("bytes").isArray()).isTrue();
        }

        JsonNode completion = service.post(
                        "/v1/completions",
                        "{\"model\": \"tiny-qwen3\", \"prompt\": %s, \"max_tokens\": 10, \"temperature\": 0}"
                                .formatted(ServiceClient.JSON.writeValueAsString(prompt)))
                .expect(200)
                .json();
        assertThat(answer)
                .isEqualTo(completion.get("choices").get(0).get("text").asString());
        assertThat(whole.get("usage")).isEqualTo(completion.get("usage"));

        List<JsonNode> chunks = stream(
                "/v1/chat/completions",
                chat.formatted(messages, ", \"stream\": true, \"stream_options\": {\"include_usage\": true}"));
        JsonNode first = chunks.get(0).get("choices").get(0);
        assertThat(first.get("delta").get("role").asString()).isEqualTo("assistant");
        assertThat(first.get("delta").get("content").asString()).isEmpty();
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks.subList(1, chunks.size() - 2)) {
            assertThat(chunk.get("object").asString()).isEqualTo("chat.completion.chunk");
            JsonNode c = chunk.get("choices").get(0);
            assertThat(c.get("finish_reason").isNull()).isTrue();
            text.append(c.get("delta").get("content").asString());
            assertThat(c.get("logprobs").get("content").size()).isPositive();
        }
        assertThat(text.toString()).isEqualTo(answer);
        assertThat(chunks.get(chunks.size() - 2)
                        .get("choices")
                        .get(0)
                        .get("finish_reason")
                        .asString())
                .isEqualTo(choice.get("finish_reason").asString());
        JsonNode usage = chunks.get(chunks.size() - 1);
        assertThat(usage.get("choices").size()).isZero();
        assertThat(usage.get("usage")).isEqualTo(whole.get("usage"));
    }

    @Test
    void anUploadedModelFileAnswers() throws Exception {
        byte[] zip = PretrainedModelsApiTest.zip(models.resolve("tiny-gpt2"), "");
        String file = service.upload("gpt2.zip", zip, "model")
                .expect(201)
                .json()
                .get("id")
                .asString();
        JsonNode byFile = service.post(
                        "/v1/completions",
                        "{\"model\": \"%s\", \"prompt\": \"the\", \"max_tokens\": 6, \"temperature\": 0}"
                                .formatted(file))
                .expect(200)
                .json();
        JsonNode bySystem = service.post(
                        "/v1/completions",
                        "{\"model\": \"tiny-gpt2\", \"prompt\": \"the\", \"max_tokens\": 6, \"temperature\": 0}")
                .expect(200)
                .json();
        assertThat(byFile.get("choices").get(0).get("text"))
                .isEqualTo(bySystem.get("choices").get(0).get("text"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "unknown model|/v1/completions|{'model': 'nope', 'prompt': 'a'}|404|model",
                "unknown checkpoint|/v1/completions|{'model': 'ftckpt-nope', 'prompt': 'a'}|404|model",
                "classifier|/v1/completions|{'model': 'cls-tiny', 'prompt': 'a'}|400|model",
                "temperature|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'temperature': 2.5}|400"
                        + "|temperature",
                "top_p|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'top_p': 0}|400|top_p",
                "n|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'n': 0}|400|n",
                "logprobs|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'logprobs': 6}|400|logprobs",
                "n x max_tokens|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'n': 5, 'max_tokens':"
                        + " 50}|400|max_tokens",
                "over the context|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a b c', 'max_tokens':"
                        + " 62}|400|max_tokens",
                "prompt over the context|/v1/completions|{'model': 'tiny-gpt2', 'prompt': [%s]}|400|prompt",
                "token id|/v1/completions|{'model': 'tiny-gpt2', 'prompt': [1, 99999]}|400|prompt[1]",
                "max_tokens 0 without echo|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'max_tokens':"
                        + " 0}|400|max_tokens",
                "presence_penalty|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'presence_penalty':"
                        + " 0.5}|400|presence_penalty",
                "best_of|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'best_of': 3}|400|best_of",
                "stop|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a', 'stop': ['a', 'b', 'c',"
                        + " 'd', 'e']}|400|stop",
                "stream_options without stream|/v1/completions|{'model': 'tiny-gpt2', 'prompt': 'a',"
                        + " 'stream_options': {'include_usage': true}}|400|stream_options",
                "streamed over the context|/v1/completions|{'model': 'tiny-gpt2', 'prompt': [%s], 'stream':"
                        + " true}|400|prompt",
                "no chat template|/v1/chat/completions|{'model': 'tiny-gpt2', 'messages': [{'role': 'user',"
                        + " 'content': 'hi'}]}|400|model",
                "streamed chat without template|/v1/chat/completions|{'model': 'tiny-gpt2', 'messages':"
                        + " [{'role': 'user', 'content': 'hi'}], 'stream': true}|400|model",
                "tools|/v1/chat/completions|{'model': 'tiny-qwen3', 'messages': [{'role': 'user', 'content':"
                        + " 'hi'}], 'tools': [{'type': 'function', 'function': {'name': 'f'}}]}|400|tools",
                "role|/v1/chat/completions|{'model': 'tiny-qwen3', 'messages': [{'role': 'tool', 'content':"
                        + " 'hi'}]}|400|messages[0].role",
                "image part|/v1/chat/completions|{'model': 'tiny-qwen3', 'messages': [{'role': 'user',"
                        + " 'content': [{'type': 'image_url', 'image_url': {'url': 'x'}}]}]}|400"
                        + "|messages[0].content[0]",
                "no messages|/v1/chat/completions|{'model': 'tiny-qwen3', 'messages': []}|400|messages",
                "top_logprobs|/v1/chat/completions|{'model': 'tiny-qwen3', 'messages': [{'role': 'user',"
                        + " 'content': 'hi'}], 'logprobs': true, 'top_logprobs': 21}|400|top_logprobs",
                "response_format|/v1/chat/completions|{'model': 'tiny-qwen3', 'messages': [{'role': 'user',"
                        + " 'content': 'hi'}], 'response_format': {'type': 'json_object'}}|400"
                        + "|response_format",
            })
    void badRequestsAreProblemsNamingTheField(String what, String path, String body, int status, String param) {
        String longIds = String.join(", ", Collections.nCopies(70, "97"));
        ServiceClient.Response r = service.post(path, body.replace('\'', '"').replace("%s", longIds))
                .expect(status);
        assertThat(r.contentType()).as(what).startsWith("application/problem+json");
        JsonNode problem = r.json();
        assertThat(problem.get("param").asString()).as(r.body()).isEqualTo(param);
        if (status == 404) {
            assertThat(problem.get("code").asString()).isEqualTo("model_not_found");
        }
    }

    /** The events of a streamed answer, checked to be OpenAI's framing and to end in [DONE]. */
    static List<JsonNode> stream(String path, String body) throws Exception {
        HttpResponse<String> r = service.http()
                .send(
                        HttpRequest.newBuilder(URI.create(service.baseUrl() + path))
                                .header("Authorization", "Bearer " + ServiceClient.ADMIN_KEY)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
        assertThat(r.body()).endsWith("data: [DONE]\n\n");
        List<JsonNode> events = new ArrayList<>();
        for (String event : r.body().split("\n\n")) {
            assertThat(event).startsWith("data: ");
            String data = event.substring("data: ".length());
            if (!data.equals("[DONE]")) {
                events.add(ServiceClient.JSON.readTree(data));
            }
        }
        return events;
    }
}
