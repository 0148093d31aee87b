package dev.sublinear.training.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.tokenizer.HfTokenizer;
import dev.sublinear.training.tokenizer.TokenizerReferences;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which tokens the loss counts for messages rows (a system turn, several assistant turns, weights 0
 * and 1): the Encoder's mask equals the mask built from python3-jinja2's render of the same
 * conversation and the assistant spans that the Python script finds from its own prefix renders,
 * tokenized by the model's tokenizer. Qwen3's own template (whose last assistant turn opens with an
 * empty think block) and ChatML (from a {@code chat_template.jinja} file).
 */
class ChatLossMaskTest {

    private static List<List<ChatMessage>> rows() {
        return List.of(
                List.of(
                        new ChatMessage("system", "You answer with one number."),
                        new ChatMessage("user", "2+2?"),
                        new ChatMessage("assistant", "4", 1),
                        new ChatMessage("user", "3+3?"),
                        new ChatMessage("assistant", "7, no: 6", 0),
                        new ChatMessage("user", "10-1? Ünïcödé 👋"),
                        new ChatMessage("assistant", "9 — nine")),
                List.of(
                        new ChatMessage("user", "Is 7 prime?"),
                        new ChatMessage("assistant", "<think>\nOnly 1 and 7 divide it.\n</think>\n\nYes.", 0),
                        new ChatMessage("user", "Is 9?"),
                        new ChatMessage("assistant", "<think>\n3 times 3.\n</think>\n\nNo.", 1)));
    }

    @Test
    void qwen3MasksEqualThoseFromJinja2Renders() throws Exception {
        try (HfTokenizer tokenizer = HfTokenizer.load(TokenizerReferences.qwen3Directory())) {
            List<String> learned = assertMasksMatchReference(tokenizer);
            // the trained turns and their end-of-turn token, nothing else; Qwen3 writes a last turn with
            // its (here empty) think block
            assertEquals(
                    List.of(
                            "4<|im_end|>",
                            "<think>\n\n</think>\n\n9 — nine<|im_end|>",
                            "<think>\n3 times 3.\n</think>\n\nNo.<|im_end|>"),
                    learned);
        }
    }

    @Test
    void chatMlMasksEqualThoseFromJinja2Renders(@TempDir Path dir) throws Exception {
        Path qwen = TokenizerReferences.qwen3Directory();
        for (String name : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(qwen.resolve(name), dir.resolve(name));
        }
        Files.writeString(dir.resolve(HfTokenizer.CHAT_TEMPLATE_JINJA), ChatTemplateTest.CHATML + "\n");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertEquals(
                    ChatTemplateTest.CHATML + "\n",
                    tokenizer.chatTemplate().orElseThrow().source());
            List<String> learned = assertMasksMatchReference(tokenizer);
            assertEquals(
                    List.of("4<|im_end|>", "9 — nine<|im_end|>", "<think>\n3 times 3.\n</think>\n\nNo.<|im_end|>"),
                    learned);
        }
    }

    /** Compares every row's mask with the reference's; returns the learned text of each trained turn. */
    private static List<String> assertMasksMatchReference(HfTokenizer tokenizer) throws Exception {
        ChatTemplate template = tokenizer.chatTemplate().orElseThrow();
        List<ChatTemplateReference.Rendered> reference =
                ChatTemplateReference.spans(template.source(), template.variables(), rows());
        Encoder encoder = new Encoder(tokenizer, 4096, List.of());
        List<String> learnedTexts = new ArrayList<>();
        for (int r = 0; r < rows().size(); r++) {
            ChatTemplateReference.Rendered expected = reference.get(r);
            assertNull(expected.error(), expected.error());
            // the reference's tokens: its text cut at its spans' bounds, each piece tokenized
            List<Integer> tokens = new ArrayList<>();
            List<Boolean> learned = new ArrayList<>();
            int at = 0;
            for (int[] span : expected.spans()) {
                add(tokens, learned, tokenizer.encode(expected.text().substring(at, span[0])), false);
                add(tokens, learned, tokenizer.encode(expected.text().substring(span[0], span[1])), span[2] == 1);
                if (span[2] == 1) {
                    learnedTexts.add(expected.text().substring(span[0], span[1]));
                }
                at = span[1];
            }
            add(tokens, learned, tokenizer.encode(expected.text().substring(at)), false);
            int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
            assertArrayEquals(tokenizer.encode(expected.text()), ids, "the pieces' tokens are the whole text's");

            Encoder.Encoded encoded = encoder.encode(new Example.Chat(1, rows().get(r)));
            int n = ids.length - 1;
            int[] inputs = new int[n];
            int[] targets = new int[n];
            float[] mask = new float[n];
            for (int i = 0; i < n; i++) {
                inputs[i] = ids[i];
                targets[i] = ids[i + 1];
                mask[i] = learned.get(i + 1) ? 1f : 0f;
            }
            assertArrayEquals(inputs, encoded.inputs(), "row " + r + " inputs");
            assertArrayEquals(targets, encoded.targets(), "row " + r + " targets");
            assertArrayEquals(mask, encoded.lossMask(), "row " + r + " loss mask");
        }
        learnedTexts.sort(null);
        return learnedTexts;
    }

    private static void add(List<Integer> tokens, List<Boolean> learned, int[] ids, boolean trained) {
        for (int id : ids) {
            tokens.add(id);
            learned.add(trained);
        }
    }
}
