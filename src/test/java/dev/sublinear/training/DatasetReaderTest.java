package dev.sublinear.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.DataProblem;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.TrainingData;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DatasetReaderTest {

    private static final String GOOD_LM = "{\"prompt\": \"ab\", \"completion\": \"ba\"}";
    private static final String GOOD_CLS_A = "{\"text\": \"apple\", \"label\": \"fruit\"}";
    private static final String GOOD_CLS_B = "{\"text\": \"carrot\", \"label\": \"vegetable\"}";

    static Stream<Arguments> badLmLines() {
        return Stream.of(
                Arguments.of("{\"prompt\": \"ab\", \"completion\": \"ba\"", null, "is not valid JSON"),
                Arguments.of("[1, 2]", null, "is not a JSON object"),
                Arguments.of("{\"prompt\": \"ab\"} trailing", null, "is not valid JSON"),
                Arguments.of("{\"prompt\": 'ab', \"completion\": \"x\"}", null, "is not valid JSON"),
                Arguments.of("{\"prompt\": \"ab\"}", "completion", "is missing"),
                Arguments.of("{\"prompt\": \"ab\", \"completion\": 3}", "completion", "must be a string"),
                Arguments.of("{\"prompt\": \"ab\", \"completion\": \"  \"}", "completion", "is empty"),
                Arguments.of("{\"text\": \"\"}", "text", "is empty"),
                Arguments.of("{\"text\": null}", "text", "is missing"),
                Arguments.of("{\"text\": \"hi\", \"extra\": 1}", "extra", "is not expected"),
                Arguments.of("{}", "text", "is missing"),
                Arguments.of(
                        "{\"prompt\": \"" + "x".repeat(200) + "\", \"completion\": \"y\"}",
                        "prompt",
                        "leaves no room for the completion"));
    }

    @ParameterizedTest(name = "{2}: {0}")
    @MethodSource("badLmLines")
    void reportsEachBadLineWithItsNumberAndField(String bad, String field, String message) {
        InvalidDataException e = assertThrows(
                InvalidDataException.class,
                () -> read(TaskType.CAUSAL_LM, lines(GOOD_LM, GOOD_LM, bad, GOOD_LM), null));
        assertEquals(1, e.problems().size(), e.getMessage());
        DataProblem p = e.problems().get(0);
        assertEquals(3, p.line());
        assertEquals("training", p.file());
        assertEquals(field, p.field());
        assertTrue(p.message().contains(message), p.message());
        assertTrue(e.getMessage().contains("training line 3"), e.getMessage());
    }

    @Test
    void invalidUtf8IsReportedWithItsLine() {
        byte[] good = (GOOD_LM + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xc3, (byte) 0x28, '"', '}', '\n'};
        byte[] all = new byte[good.length * 2 + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        System.arraycopy(good, 0, all, good.length + bad.length, good.length);
        InvalidDataException e = assertThrows(
                InvalidDataException.class, () -> read(TaskType.CAUSAL_LM, new ByteArrayInputStream(all), null));
        assertEquals(2, e.problems().get(0).line());
        assertTrue(e.problems().get(0).message().contains("UTF-8"));
    }

    @Test
    void everyProblemIsReportedNotOnlyTheFirst() {
        InvalidDataException e = assertThrows(
                InvalidDataException.class,
                () -> read(TaskType.CAUSAL_LM, lines("nope", GOOD_LM, "{\"text\": 1}", "{\"text\": \"\"}"), null));
        assertEquals(
                List.of(1, 3, 4), e.problems().stream().map(DataProblem::line).toList());
    }

    @Test
    void tooFewExamples() {
        InvalidDataException e =
                assertThrows(InvalidDataException.class, () -> read(TaskType.CAUSAL_LM, lines(GOOD_LM), null));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
    }

    @Test
    void classificationLabelsMustBeStringsAndKnown() {
        InvalidDataException e = assertThrows(
                InvalidDataException.class,
                () -> read(
                        TaskType.CLASSIFICATION,
                        lines(GOOD_CLS_A, GOOD_CLS_B, "{\"text\": \"x\", \"label\": 1}"),
                        lines(GOOD_CLS_A, "{\"text\": \"pear\", \"label\": \"mineral\"}")));
        assertEquals(2, e.problems().size(), e.getMessage());
        assertEquals("training", e.problems().get(0).file());
        assertEquals(3, e.problems().get(0).line());
        assertEquals("validation", e.problems().get(1).file());
        assertEquals(2, e.problems().get(1).line());
        assertTrue(e.problems().get(1).message().contains("'mineral' does not occur in the training file"));
    }

    @Test
    void aSingleLabelIsNotAClassificationTask() {
        InvalidDataException e = assertThrows(
                InvalidDataException.class, () -> read(TaskType.CLASSIFICATION, lines(GOOD_CLS_A, GOOD_CLS_A), null));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
    }

    @Test
    void longLinesAreTruncatedWithAWarning() throws Exception {
        String longText = "{\"text\": \"" + "z".repeat(100) + "\"}";
        TrainingData data = read(TaskType.CAUSAL_LM, lines(GOOD_LM, longText, "", GOOD_LM), null);
        assertEquals(3, data.training().size());
        assertEquals(1, data.warnings().size());
        assertEquals(2, data.warnings().get(0).line());
        assertTrue(data.warnings().get(0).message().contains("truncated"));
    }

    @Test
    void acceptsBothCausalLmShapesAndSortsLabels() throws Exception {
        assertEquals(
                2,
                read(TaskType.CAUSAL_LM, lines(GOOD_LM, "{\"text\": \"hello\"}"), null)
                        .training()
                        .size());
        assertEquals(
                List.of("fruit", "vegetable"),
                read(TaskType.CLASSIFICATION, lines(GOOD_CLS_B, GOOD_CLS_A), null)
                        .labels());
    }

    private static TrainingData read(TaskType task, InputStream training, InputStream validation) throws Exception {
        return new DatasetReader(task, new ByteTokenizer(), 64, 2).read(training, validation);
    }

    private static InputStream lines(String... lines) {
        return new ByteArrayInputStream((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
