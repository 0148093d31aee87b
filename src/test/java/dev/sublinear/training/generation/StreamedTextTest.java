package dev.sublinear.training.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sublinear.training.data.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a stream receives as byte tokens arrive (our byte tokenizer: one UTF-8 byte a token): text is
 * held back while a character is incomplete or while it could be the start of a stop sequence.
 */
class StreamedTextTest {

    private final List<String> deltas = new ArrayList<>();
    private final List<Integer> batches = new ArrayList<>();

    private StreamedText text(List<String> stops) {
        return new StreamedText(new ByteTokenizer(), stops, (delta, tokens) -> {
            deltas.add(delta);
            batches.add(tokens.size());
        });
    }

    /** Adds the bytes of {@code s} one token each; true when a stop sequence appeared. */
    private static boolean add(StreamedText text, String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            if (text.add(new TokenScore(b & 0xff, "", null, List.of()))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void anIncompleteCharacterIsHeldBackUntilItsLastByte() {
        StreamedText text = text(List.of());
        add(text, "a");
        assertEquals(List.of("a"), deltas);
        byte[] e = "é".getBytes(StandardCharsets.UTF_8);
        text.add(new TokenScore(e[0] & 0xff, "", null, List.of()));
        assertEquals(List.of("a"), deltas, "half of é is not sent");
        text.add(new TokenScore(e[1] & 0xff, "", null, List.of()));
        assertEquals(List.of("a", "é"), deltas);
        assertEquals(List.of(1, 2), batches, "the delta carries both tokens of é");
        assertEquals("aé", text.finish());
    }

    @Test
    void whatCouldStartAStopSequenceWaitsAndTheStopSequenceIsNeverSent() {
        StreamedText text = text(List.of("END"));
        assertFalse(add(text, "abE"));
        assertEquals("ab", String.join("", deltas), "E could begin END");
        assertFalse(add(text, "Nx"));
        assertEquals("abENx", String.join("", deltas), "ENx cannot");
        assertTrue(add(text, "yyEND"));
        assertEquals("abENxyy", text.finish());
        assertEquals("abENxyy", String.join("", deltas));
    }

    @Test
    void finishSendsWhatWasHeldBackWhenNoStopCame() {
        StreamedText text = text(List.of("STOP"));
        add(text, "go ST");
        assertEquals("go ", String.join("", deltas));
        assertEquals("go ST", text.finish());
        assertEquals("go ST", String.join("", deltas));
    }

    @Test
    void theEarliestOfSeveralStopSequencesWins() {
        StreamedText text = text(List.of("cd", "b"));
        assertTrue(add(text, "abcd"));
        assertEquals("a", text.finish());
    }
}
