package dev.sublinear.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link Gpt2TokenizerJson} refuses, and a tiny vocabulary it assembles into a working tokenizer. */
class Gpt2TokenizerJsonTest {

    @TempDir
    Path dir;

    @Test
    void aTinyVocabularyBecomesAByteLevelTokenizer() throws IOException {
        // "h", "i", "Ġ" (the byte-level space), the merges h+i and Ġ+hi, and <|endoftext|>
        Path encoder = Files.writeString(
                dir.resolve("encoder.json"),
                "{\"h\": 0, \"i\": 1, \"\\u0120\": 2, \"hi\": 3, \"\\u0120hi\": 4, \"<|endoftext|>\": 5}");
        Path merges = Files.writeString(dir.resolve("vocab.bpe"), "#version: 0.2\nh i\n\u0120 hi\n");
        Gpt2TokenizerJson.write(encoder, merges, dir.resolve("out"));
        try (HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("out"))) {
            assertThat(tokenizer.encode("hi hi<|endoftext|>")).containsExactly(3, 4, 5);
            assertThat(tokenizer.decode(new int[] {3, 4, 5}, false)).isEqualTo("hi hi<|endoftext|>");
            assertThat(tokenizer.vocabularySize()).isEqualTo(6);
            assertThat(tokenizer.eosId()).isEqualTo(5);
        }
    }

    @Test
    void anEncoderWithoutEndOfTextIsRefusedNamingTheFile() throws IOException {
        Path encoder = Files.writeString(dir.resolve("encoder.json"), "{\"h\": 0}");
        Path merges = Files.writeString(dir.resolve("vocab.bpe"), "#version: 0.2\nh h\n");
        assertThatThrownBy(() -> Gpt2TokenizerJson.write(encoder, merges, dir.resolve("out")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(encoder.toString())
                .hasMessageContaining("<|endoftext|>");
    }

    @Test
    void malformedFilesAreRefusedNamingTheFile() throws IOException {
        Path encoder = Files.writeString(dir.resolve("encoder.json"), "{\"h\": \"zero\", \"<|endoftext|>\": 1}");
        Path merges = Files.writeString(dir.resolve("vocab.bpe"), "#version: 0.2\nh h h\n");
        assertThatThrownBy(() -> Gpt2TokenizerJson.write(encoder, merges, dir.resolve("out")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(encoder.toString());
        Files.writeString(encoder, "{\"h\": 0, \"<|endoftext|>\": 1}");
        assertThatThrownBy(() -> Gpt2TokenizerJson.write(encoder, merges, dir.resolve("out")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(merges.toString())
                .hasMessageContaining("h h h");
        Files.writeString(encoder, "[1, 2]");
        assertThatThrownBy(() -> Gpt2TokenizerJson.write(encoder, merges, dir.resolve("out")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(encoder.toString());
    }
}
