package dev.sublinear.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HfTokenizer} on GPT-2 (its {@code tokenizer.json} assembled by {@link Gpt2TokenizerJson}
 * from OpenAI's two files) and on Qwen3's {@code tokenizer.json}, checked against independent
 * JavaScript tokenizers run with node ({@link TokenizerReferences}), never against ids the Java code
 * produced.
 */
class HfTokenizerTest {

    /** Texts both references encode the same way as Hugging Face tokenizers (no special tokens in them). */
    private static final List<String> TEXTS = List.of(
            "Hello, my dog is cute.",
            " one leading space",
            "   three leading spaces and trailing   ",
            "héllo wörld, naïve café — déjà vu",
            "日本語のテキスト 🙂🚀 emoji",
            "tabs\tand\nnew lines\n\n",
            "It's 2026: 3.14159 isn't π, they'll say.",
            "");

    @TempDir
    static Path dir;

    static HfTokenizer gpt2;
    static HfTokenizer qwen3;

    @BeforeAll
    static void load() throws Exception {
        Gpt2TokenizerJson.write(
                TokenizerReferences.gpt2EncoderJson(), TokenizerReferences.gpt2VocabBpe(), dir.resolve("gpt2"));
        gpt2 = HfTokenizer.load(dir.resolve("gpt2"));
        qwen3 = HfTokenizer.load(TokenizerReferences.qwen3Directory());
    }

    @AfterAll
    static void close() {
        if (gpt2 != null) {
            gpt2.close();
        }
        if (qwen3 != null) {
            qwen3.close();
        }
    }

    @Test
    void gpt2GivesGpt2sIds() {
        assertThat(gpt2.encode("Hello, my dog is cute.")).containsExactly(15496, 11, 616, 3290, 318, 13779, 13);
    }

    @Test
    void gpt2AgreesWithTheJavaScriptEncoder() throws Exception {
        assertAgrees(gpt2, "gpt2", TEXTS);
    }

    @Test
    void gpt2EndOfTextIsOneSpecialToken() throws Exception {
        int endOfText = idIn(TokenizerReferences.gpt2EncoderJson(), "<|endoftext|>");
        assertThat(endOfText).isEqualTo(50256);
        // the JavaScript encoder knows no special tokens: encode the pieces around it
        List<int[]> pieces = TokenizerReferences.encode("gpt2", List.of("Hello", " world"));
        int[] expected = IntStream.concat(
                        IntStream.concat(Arrays.stream(pieces.get(0)), IntStream.of(endOfText)),
                        Arrays.stream(pieces.get(1)))
                .toArray();
        assertThat(gpt2.encode("Hello<|endoftext|> world")).containsExactly(expected);
        assertThat(gpt2.encode("<|endoftext|>")).containsExactly(endOfText);
        assertThat(gpt2.decode(expected, false)).isEqualTo("Hello<|endoftext|> world");
        assertThat(gpt2.decode(expected)).isEqualTo("Hello world");
    }

    @Test
    void gpt2SpecialTokensAndVocabulary() {
        assertThat(gpt2.vocabularySize()).isEqualTo(50257);
        assertThat(gpt2.bosId()).isEqualTo(50256);
        assertThat(gpt2.eosId()).isEqualTo(50256);
        assertThat(gpt2.pad()).isEmpty();
        assertThat(gpt2.padId()).as("no pad token: padded with the end of text").isEqualTo(50256);
        assertThat(gpt2.inputPrefix()).as("GPT-2's post-processor adds nothing").isEmpty();
        assertThat(gpt2.inputSuffix()).isEmpty();
        assertThat(gpt2.promptEnd()).isEmpty();
        assertThat(gpt2.type()).isEqualTo(HfTokenizer.TYPE);
    }

    @Test
    void qwen3AgreesWithTheJavaScriptTokenizer() throws Exception {
        List<String> texts = new ArrayList<>(TEXTS);
        texts.add("<|endoftext|>a<|im_end|>");
        texts.add("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n4");
        assertAgrees(qwen3, "qwen3", texts);
    }

    @Test
    void qwen3SpecialTokensAndVocabulary() throws Exception {
        List<int[]> reference =
                TokenizerReferences.encode("qwen3", List.of("<|im_end|>", "<|endoftext|>", "<|im_start|>"));
        // 151,643 BPE tokens (ids 0..151642) and 26 added tokens (151643..151668)
        assertThat(qwen3.vocabularySize()).isEqualTo(151_669);
        assertThat(reference.get(0)).hasSize(1);
        assertThat(qwen3.eosId()).isEqualTo(reference.get(0)[0]);
        assertThat(qwen3.padId()).isEqualTo(reference.get(1)[0]);
        assertThat(qwen3.bos()).isEmpty();
        assertThatThrownBy(qwen3::bosId)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bos_token");
        // the chat tokens are special: decode leaves them out unless asked
        int[] ids = qwen3.encode("<|im_start|>user\nhi<|im_end|>");
        assertThat(ids[0]).isEqualTo(reference.get(2)[0]);
        assertThat(qwen3.decode(ids)).isEqualTo("user\nhi");
        assertThat(qwen3.decode(ids, false)).isEqualTo("<|im_start|>user\nhi<|im_end|>");
    }

    @Test
    void decodingReturnsTheEncodedText() {
        for (String text : TEXTS) {
            assertThat(gpt2.decode(gpt2.encode(text))).as("gpt2 %s", text).isEqualTo(text);
            assertThat(qwen3.decode(qwen3.encode(text))).as("qwen3 %s", text).isEqualTo(text);
        }
        String withSpecial = "a<|endoftext|>b";
        assertThat(gpt2.decode(gpt2.encode(withSpecial), false)).isEqualTo(withSpecial);
        assertThat(qwen3.decode(qwen3.encode(withSpecial), false)).isEqualTo(withSpecial);
    }

    @Test
    void longTextsAreNeitherTruncatedNorPadded() throws Exception {
        String text = String.join(" ", Collections.nCopies(800, "tokenizer"));
        int[] ids = gpt2.encode(text);
        assertThat(ids.length).isGreaterThan(800);
        assertThat(ids)
                .containsExactly(
                        TokenizerReferences.encode("gpt2", List.of(text)).get(0));
        assertThat(gpt2.decode(ids)).isEqualTo(text);
    }

    @Test
    void specialTokensAreAddedAsThePostProcessorSays() throws Exception {
        // GPT-2's and Qwen3's post-processors add nothing
        assertThat(gpt2.encodeWithSpecialTokens("Hello")).containsExactly(gpt2.encode("Hello"));
        assertThat(qwen3.encodeWithSpecialTokens("Hello")).containsExactly(qwen3.encode("Hello"));
        // a template that wraps the text in <|endoftext|>
        Path templated = dir.resolve("gpt2-template");
        Files.createDirectories(templated);
        JsonObject json = read(dir.resolve("gpt2").resolve(HfTokenizer.TOKENIZER_JSON));
        json.add("post_processor", JsonParser.parseString("""
                {"type": "TemplateProcessing",
                 "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}},
                            {"Sequence": {"id": "A", "type_id": 0}},
                            {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                 "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                 "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [50256],
                                                      "tokens": ["<|endoftext|>"]}}}
                """));
        Files.writeString(templated.resolve(HfTokenizer.TOKENIZER_JSON), json.toString(), StandardCharsets.UTF_8);
        int[] hello = TokenizerReferences.encode("gpt2", List.of("Hello")).get(0);
        try (HfTokenizer tokenizer = HfTokenizer.load(templated)) {
            assertThat(tokenizer.encode("Hello")).containsExactly(hello);
            assertThat(tokenizer.encodeWithSpecialTokens("Hello"))
                    .containsExactly(IntStream.concat(
                                    IntStream.concat(IntStream.of(50256), Arrays.stream(hello)), IntStream.of(50256))
                            .toArray());
            // no tokenizer_config.json here: no special token ids
            assertThat(tokenizer.eos()).isEmpty();
        }
    }

    @Test
    void idsOutsideTheVocabularyDecodeToNothing() {
        int[] hello = gpt2.encode("Hello");
        int[] withStrangers = IntStream.concat(Arrays.stream(hello), IntStream.of(-1, 50257, 1 << 30))
                .toArray();
        assertThat(gpt2.decode(withStrangers)).isEqualTo("Hello");
    }

    @Test
    void aMissingTokenizerJsonIsRefusedNamingTheFile() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> HfTokenizer.load(empty))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(empty.resolve("tokenizer.json").toString());
    }

    @Test
    void anUnreadableTokenizerJsonIsRefusedNamingTheFile() throws IOException {
        Path broken = Files.createDirectories(dir.resolve("broken"));
        Path file = broken.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": ");
        assertThatThrownBy(() -> HfTokenizer.load(broken))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString());
        Files.writeString(file, "{\"version\": \"1.0\", \"model\": {\"type\": \"Nonsense\", \"vocab\": {\"a\": 0}}}");
        assertThatThrownBy(() -> HfTokenizer.load(broken))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString());
    }

    private static void assertAgrees(HfTokenizer tokenizer, String reference, List<String> texts) throws Exception {
        List<int[]> expected = TokenizerReferences.encode(reference, texts);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(tokenizer.encode(texts.get(i)))
                    .as("%s: %s", reference, texts.get(i))
                    .containsExactly(expected.get(i));
        }
    }

    private static int idIn(Path encoderJson, String token) throws IOException {
        return read(encoderJson).get(token).getAsInt();
    }

    private static JsonObject read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(in).getAsJsonObject();
        }
    }
}
