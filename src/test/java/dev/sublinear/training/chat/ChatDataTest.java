package dev.sublinear.training.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.DataProblem;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.Tokenizer;
import dev.sublinear.training.data.TrainingData;
import dev.sublinear.training.tokenizer.HfTokenizer;
import dev.sublinear.training.tokenizer.TokenizerReferences;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Validation of messages rows: line-numbered problems naming the field, as for the other rows. */
class ChatDataTest {

    private static final String GOOD = "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
            + " {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello.\"}]}";

    static Stream<Arguments> badRows() {
        return Stream.of(
                Arguments.of("{\"messages\": []}", "messages", "is empty"),
                Arguments.of("{\"messages\": \"hi\"}", "messages", "must be a list"),
                Arguments.of(
                        "{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}",
                        "messages[0].role",
                        "is not a role"),
                Arguments.of(
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\","
                                + " \"content\": [\"parts\"]}]}",
                        "messages[1].content",
                        "must be a string"),
                Arguments.of(
                        "{\"messages\": [{\"role\": \"user\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
                        "messages[0].content",
                        "is missing"),
                Arguments.of(
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\","
                                + " \"content\": \"a\", \"weight\": 2}]}",
                        "messages[1].weight",
                        "must be 0 or 1"),
                Arguments.of(
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"q\", \"weight\": 1}, {\"role\":"
                                + " \"assistant\", \"content\": \"a\"}]}",
                        "messages[0].weight",
                        "only for assistant"),
                Arguments.of(
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}]}",
                        "messages",
                        "no assistant message to learn"),
                Arguments.of(
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\","
                                + " \"content\": \"a\", \"weight\": 0}]}",
                        "messages",
                        "no assistant message to learn"),
                Arguments.of(
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"q\", \"name\": \"x\"}, {\"role\":"
                                + " \"assistant\", \"content\": \"a\"}]}",
                        "messages[0].name",
                        "is not expected"),
                Arguments.of(
                        GOOD.replace("{\"messages\"", "{\"tools\": [], \"messages\""), "tools", "is not expected"));
    }

    @ParameterizedTest(name = "{2}: {0}")
    @MethodSource("badRows")
    void reportsEachBadRowWithItsLineAndField(String bad, String field, String message) throws Exception {
        InvalidDataException e = assertThrows(
                InvalidDataException.class,
                () -> reader(new ByteTokenizer(), 512).beforeModelIsKnown().read(lines(GOOD, bad, GOOD), null));
        assertEquals(1, e.problems().size(), e.getMessage());
        DataProblem p = e.problems().get(0);
        assertEquals(2, p.line());
        assertEquals(field, p.field());
        assertTrue(p.message().contains(message), p.message());
    }

    @Test
    void uploadsAreCheckedForShapeButJobsNeedAChatTemplate() throws Exception {
        TrainingData data =
                reader(new ByteTokenizer(), 512).beforeModelIsKnown().read(lines(GOOD, GOOD), null);
        Example.Chat chat = (Example.Chat) data.training().get(0);
        assertEquals(3, chat.messages().size());
        assertTrue(chat.messages().get(2).trained());

        InvalidDataException e = assertThrows(
                InvalidDataException.class,
                () -> reader(new ByteTokenizer(), 512).read(lines(GOOD, GOOD), null));
        assertEquals(2, e.problems().size());
        assertEquals(1, e.problems().get(0).line());
        assertEquals("messages", e.problems().get(0).field());
        assertTrue(e.problems().get(0).message().contains("messages rows need a model with a chat template"));
    }

    @Test
    void longConversationsAreTruncatedWithAWarningOrRefusedWhenNothingToLearnFits() throws Exception {
        try (HfTokenizer qwen = HfTokenizer.load(TokenizerReferences.qwen3Directory())) {
            String longAnswer =
                    "{\"messages\": [{\"role\": \"user\", \"content\": \"Count.\"}, {\"role\": \"assistant\","
                            + " \"content\": \"" + "one two three ".repeat(20) + "\"}]}";
            TrainingData data = reader(qwen, 32).read(lines(GOOD, longAnswer), null);
            assertEquals(1, data.warnings().size());
            assertEquals(2, data.warnings().get(0).line());
            assertTrue(data.warnings().get(0).message().contains("truncated to the model's context of 32"));

            String lateAnswer = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + "word ".repeat(60)
                    + "\"}, {\"role\": \"assistant\", \"content\": \"ok\"}]}";
            InvalidDataException e = assertThrows(
                    InvalidDataException.class, () -> reader(qwen, 32).read(lines(GOOD, lateAnswer), null));
            assertEquals(2, e.problems().get(0).line());
            assertTrue(e.problems().get(0).message().contains("starts after the model's context"), e.getMessage());
        }
    }

    @Test
    void aConversationTheTemplateRefusesIsAProblemOnItsLine(@TempDir Path dir) throws Exception {
        Path qwen = TokenizerReferences.qwen3Directory();
        for (String name : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(qwen.resolve(name), dir.resolve(name));
        }
        Files.writeString(
                dir.resolve(HfTokenizer.CHAT_TEMPLATE_JINJA),
                "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
                        + ChatTemplateTest.CHATML);
        String noSystem = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\","
                + " \"content\": \"Hello.\"}]}";
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            InvalidDataException e = assertThrows(
                    InvalidDataException.class, () -> reader(tokenizer, 512).read(lines(noSystem, GOOD), null));
            assertEquals(1, e.problems().size(), e.getMessage());
            assertEquals(2, e.problems().get(0).line());
            assertTrue(e.problems().get(0).message().contains("System role not supported"), e.getMessage());
        }
    }

    private static DatasetReader reader(Tokenizer tokenizer, int context) {
        return new DatasetReader(TaskType.CAUSAL_LM, tokenizer, context, 2);
    }

    private static InputStream lines(String... lines) {
        return new ByteArrayInputStream(String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
    }
}
