package dev.sublinear.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TranslationTaskTest {

    private final TranslationTask task = TranslationTask.generate(TranslationTask.STUDY_SEED);

    @Test
    void heldOutSentencesNeverOccurInTraining() {
        TranslationTask.Splits s = task.splits(3000, 200, 200, 7);
        assertEquals(3000, s.training().size());
        assertEquals(200, s.validation().size());
        assertEquals(200, s.test().size());
        Set<String> training = new HashSet<>();
        s.training().forEach(p -> training.add(p.source()));
        assertEquals(3000, training.size(), "training sentences are distinct");
        s.validation().forEach(p -> assertFalse(training.contains(p.source()), p.source()));
        s.test().forEach(p -> assertFalse(training.contains(p.source()), p.source()));
    }

    @Test
    void theSameSeedGivesTheSamePairs() {
        assertEquals(
                task.splits(50, 5, 5, 3),
                TranslationTask.generate(TranslationTask.STUDY_SEED).splits(50, 5, 5, 3));
        assertFalse(task.splits(50, 5, 5, 3)
                .training()
                .equals(task.splits(50, 5, 5, 4).training()));
    }

    /**
     * The translation is a function of the words and their roles: learnt word by word from training
     * pairs, the rules (verb last, adjective after its noun, determiner after both, the verb's suffix
     * agreeing with the subject's determiner) translate every held-out sentence.
     */
    @Test
    void heldOutPairsFollowTheRulesSeenInTraining() {
        TranslationTask.Splits s = task.splits(20000, 10, 200, 11);
        Map<String, String> dictionary = new HashMap<>();
        Set<String> nouns = new HashSet<>();
        Map<String, String> suffixOfDeterminer = new HashMap<>();
        for (TranslationTask.Pair p : s.training()) {
            String[] src = p.source().split(" ");
            String[] tgt = p.target().split(" ");
            if (src.length == 5) {
                // no adjectives: source d n v d n, target n d n d v+suffix
                learn(dictionary, src[0], tgt[1]);
                learn(dictionary, src[1], tgt[0]);
                learn(dictionary, src[3], tgt[3]);
                learn(dictionary, src[4], tgt[2]);
                String verb = tgt[4];
                learn(suffixOfDeterminer, src[0], verb.substring(verb.length() - 2));
                learn(dictionary, src[2], verb.substring(0, verb.length() - 2));
                nouns.add(src[1]);
                nouns.add(src[4]);
            }
        }
        for (TranslationTask.Pair p : s.training()) {
            String[] src = p.source().split(" ");
            String[] tgt = p.target().split(" ");
            if (src.length == 6 && !nouns.contains(src[1]) && nouns.contains(src[2])) {
                // an adjective in the subject only: d a n v d n -> n a d n d v
                learn(dictionary, src[1], tgt[1]);
            }
        }
        int translated = 0;
        for (TranslationTask.Pair p : s.test()) {
            String expected = translate(p.source(), dictionary, nouns, suffixOfDeterminer);
            if (expected != null) {
                assertEquals(p.target(), expected, p.source());
                translated++;
            }
        }
        assertTrue(translated > 150, "the rules cover most held-out sentences: " + translated);
        assertTrue(task.sentenceCount() > 100_000, "room for held-out sentences: " + task.sentenceCount());
    }

    private static void learn(Map<String, String> map, String key, String value) {
        String before = map.putIfAbsent(key, value);
        assertTrue(before == null || before.equals(value), key + " translated both " + before + " and " + value);
    }

    /** Translates by the rules, or null when a word was never seen in training. */
    private static String translate(
            String source, Map<String, String> dictionary, Set<String> nouns, Map<String, String> suffixes) {
        List<String> words = List.of(source.split(" "));
        int[] at = {0};
        List<String> subject;
        String verb;
        List<String> object;
        try {
            subject = phrase(words, at, nouns);
            verb = words.get(at[0]++);
            object = phrase(words, at, nouns);
        } catch (IndexOutOfBoundsException e) {
            return null; // a noun never seen in training was taken for an adjective
        }
        if (at[0] != words.size()) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        for (List<String> phrase : List.of(subject, object)) {
            // source determiner [adjective] noun -> target noun [adjective] determiner
            for (int i = phrase.size() - 1; i >= 0; i--) {
                out.append(dictionary.get(phrase.get(i))).append(' ');
            }
        }
        out.append(dictionary.get(verb)).append(suffixes.get(subject.get(0)));
        String text = out.toString();
        return text.contains("null") ? null : text;
    }

    private static List<String> phrase(List<String> words, int[] at, Set<String> nouns) {
        List<String> phrase = new ArrayList<>();
        phrase.add(words.get(at[0]++));
        if (!nouns.contains(words.get(at[0]))) {
            phrase.add(words.get(at[0]++));
        }
        phrase.add(words.get(at[0]++));
        return phrase;
    }
}
