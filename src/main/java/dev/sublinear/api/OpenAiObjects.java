package dev.sublinear.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sublinear.jobs.TextCompletions;
import io.swagger.v3.oas.annotations.media.Schema;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects of OpenAI's completions and chat completions answers, field for field as OpenAI's API
 * reference has them, so that the official SDKs parse them: every field they read is present, null
 * where OpenAI sends null.
 */
final class OpenAiObjects {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private OpenAiObjects() {}

    /** An id as OpenAI's look: {@code prefix} and 24 random letters and digits. */
    static String id(String prefix) {
        StringBuilder b = new StringBuilder(prefix);
        for (int i = 0; i < 24; i++) {
            b.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return b.toString();
    }

    /** Now, in epoch seconds. */
    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    @Schema(
            description = "Tokens of the request.",
            example = "{\"prompt_tokens\": 9, \"completion_tokens\": 3, \"total_tokens\": 12}")
    record Usage(int promptTokens, int completionTokens, int totalTokens) {

        static Usage of(TextCompletions.Result r) {
            return new Usage(r.promptTokens(), r.completionTokens(), r.promptTokens() + r.completionTokens());
        }
    }

    /** {@code stream_options}. */
    @Schema(
            description = "Streaming options: with include_usage a last chunk, before [DONE], carries usage.",
            example = "{\"include_usage\": true}")
    record StreamOptions(Boolean includeUsage, Boolean includeObfuscation) {

        boolean usage() {
            return Boolean.TRUE.equals(includeUsage);
        }
    }

    // --- /v1/completions

    @Schema(
            description = "Log-probs of a choice's tokens, as OpenAI's legacy completions give them.",
            example = "{\"tokens\": [\" wor\", \"ld\"], \"token_logprobs\": [-1.2, -0.1], \"top_logprobs\":"
                    + " [{\" wor\": -1.2, \" the\": -1.9}, {\"ld\": -0.1, \"k\": -3.0}], \"text_offset\": [5, 9]}")
    record CompletionLogprobs(
            List<String> tokens,
            List<Double> tokenLogprobs,

            @Schema(
                    description = "For each token: its most likely alternatives, token text to log-prob;"
                            + " null for a first prompt token")
            List<Map<String, Double>> topLogprobs,

            List<Integer> textOffset) {

        /** The log-probs of {@code tokens}, offsets counted from {@code offset}. */
        static CompletionLogprobs of(List<TextCompletions.Token> tokens, int offset) {
            List<String> texts = new ArrayList<>();
            List<Double> logprobs = new ArrayList<>();
            List<Map<String, Double>> top = new ArrayList<>();
            List<Integer> offsets = new ArrayList<>();
            int at = offset;
            for (TextCompletions.Token t : tokens) {
                texts.add(t.text());
                logprobs.add(t.logprob());
                if (t.logprob() == null) {
                    top.add(null);
                } else {
                    Map<String, Double> alternatives = new LinkedHashMap<>();
                    t.top().forEach(a -> alternatives.putIfAbsent(a.text(), a.logprob()));
                    top.add(alternatives);
                }
                offsets.add(at);
                at += t.text().length();
            }
            return new CompletionLogprobs(texts, logprobs, top, offsets);
        }
    }

    @Schema(
            description = "One choice.",
            example = "{\"index\": 0, \"text\": \" world\", \"finish_reason\": \"length\"}")
    record CompletionChoice(
            int index, String text, @Schema(nullable = true) CompletionLogprobs logprobs, String finishReason) {}

    @Schema(
            description = "A completion (also each streamed chunk: text is then the new text; finish_reason null"
                    + " until the choice's last chunk).",
            example = "{\"id\": \"cmpl-8yq3ZkWbA1cD2eF3gH4iJ5kL\", \"object\": \"text_completion\", \"created\":"
                    + " 1764500000, \"model\": \"ft:gpt2:acme:ftjob-abc\","
                    + " \"choices\": [{\"index\": 0, \"text\": \" world\", \"finish_reason\":"
                    + " \"length\"}], \"usage\": {\"prompt_tokens\": 1, \"completion_tokens\": 2, \"total_tokens\":"
                    + " 3}}")
    record Completion(
            String id,
            String object,
            long created,
            String model,
            String systemFingerprint,
            List<CompletionChoice> choices,
            Usage usage) {}

    // --- /v1/chat/completions

    @Schema(
            description = "An alternative token at a position.",
            example = "{\"token\": \"Hi\", \"logprob\": -0.3, \"bytes\": [72, 105]}")
    record TopLogprob(String token, double logprob, List<Integer> bytes) {}

    @Schema(
            description = "A generated token, its log-prob and the most likely alternatives.",
            example = "{\"token\": \"Hi\", \"logprob\": -0.3, \"bytes\": [72, 105], \"top_logprobs\": [{\"token\":"
                    + " \"Hi\", \"logprob\": -0.3, \"bytes\": [72, 105]}]}")
    record TokenLogprob(String token, double logprob, List<Integer> bytes, List<TopLogprob> topLogprobs) {

        static TokenLogprob of(TextCompletions.Token t) {
            return new TokenLogprob(
                    t.text(),
                    t.logprob() == null ? 0 : t.logprob(),
                    utf8(t.text()),
                    t.top().stream()
                            .map(a -> new TopLogprob(a.text(), a.logprob(), utf8(a.text())))
                            .toList());
        }
    }

    @Schema(
            description = "Log-probs of a chat choice's tokens.",
            example = "{\"content\": [{\"token\": \"Hi\", \"logprob\": -0.3, \"bytes\": [72, 105], \"top_logprobs\":"
                    + " []}]}")
    record ChatLogprobs(List<TokenLogprob> content, List<TokenLogprob> refusal) {

        static ChatLogprobs of(List<TextCompletions.Token> tokens) {
            return new ChatLogprobs(tokens.stream().map(TokenLogprob::of).toList(), null);
        }
    }

    @Schema(description = "The assistant's answer.", example = "{\"role\": \"assistant\", \"content\": \"Hello!\"}")
    record AssistantMessage(String role, String content, String refusal) {}

    @Schema(
            description = "One chat choice.",
            example = "{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"Hello!\"},"
                    + " \"finish_reason\": \"stop\"}")
    record ChatChoice(
            int index,
            AssistantMessage message,
            @Schema(nullable = true) ChatLogprobs logprobs,
            String finishReason) {}

    @Schema(
            description = "A chat completion.",
            example = "{\"id\": \"chatcmpl-8yq3ZkWbA1cD2eF3gH4iJ5kL\", \"object\": \"chat.completion\", \"created\":"
                    + " 1764500000, \"model\": \"ft:qwen3:acme:ftjob-abc\","
                    + " \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\":"
                    + " \"Hello!\"}, \"finish_reason\": \"stop\"}],"
                    + " \"usage\": {\"prompt_tokens\": 9, \"completion_tokens\": 3, \"total_tokens\": 12}}")
    record ChatCompletion(
            String id,
            String object,
            long created,
            String model,
            String systemFingerprint,
            List<ChatChoice> choices,
            Usage usage) {}

    @Schema(description = "What a chunk adds to the assistant's message.", example = "{\"content\": \"Hel\"}")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {}

    @Schema(
            description = "A chunk's part of one choice.",
            example = "{\"index\": 0, \"delta\": {\"content\": \"Hel\"}}")
    record ChunkChoice(
            int index, Delta delta, @Schema(nullable = true) ChatLogprobs logprobs, String finishReason) {}

    @Schema(
            description = "A streamed chat completion chunk: the first of a choice has delta {role: assistant,"
                    + " content: \"\"}, its last a finish_reason; with stream_options.include_usage a last chunk"
                    + " has no choices and the usage.",
            example = "{\"id\": \"chatcmpl-8yq3ZkWbA1cD2eF3gH4iJ5kL\", \"object\": \"chat.completion.chunk\","
                    + " \"created\": 1764500000, \"model\": \"ft:qwen3:acme:ftjob-abc\", \"choices\": [{\"index\": 0,"
                    + " \"delta\": {\"content\": \"Hel\"}}]}")
    record ChatCompletionChunk(
            String id,
            String object,
            long created,
            String model,
            String systemFingerprint,
            List<ChunkChoice> choices,
            Usage usage) {}

    /** A token's UTF-8 bytes, as OpenAI lists them. */
    static List<Integer> utf8(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        List<Integer> list = new ArrayList<>(b.length);
        for (byte x : b) {
            list.add(x & 0xff);
        }
        return list;
    }
}
