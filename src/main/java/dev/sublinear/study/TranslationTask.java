package dev.sublinear.study;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A toy translation task between two generated languages, standing in for the paper's WMT'14
 * En-De: nothing to download, and the same pairs from the same seed on every machine.
 *
 * <p>The source language orders a sentence determiner-adjective-noun, verb, determiner-adjective-noun
 * (SVO). The target language has its own words for everything, puts the verb last (SOV), the
 * adjective after its noun and the determiner after both, and marks the verb with a suffix that
 * agrees with the subject's determiner. A model must learn the dictionary, the reordering and the
 * agreement; held-out pairs are sentences it has never seen, so exact match on them measures
 * whether it learnt the rules rather than the examples.
 */
public final class TranslationTask {

    /** One sentence and its translation. */
    public record Pair(String source, String target) {}

    /** Disjoint training, validation and held-out test pairs. */
    public record Splits(List<Pair> training, List<Pair> validation, List<Pair> test) {}

    private static final int NOUNS = 30;
    private static final int VERBS = 16;
    private static final int ADJECTIVES = 12;
    private static final int DETERMINERS = 2;

    private final String[][] source;
    private final String[][] target;
    private final String[] agreement;

    private TranslationTask(long seed) {
        Random random = new Random(seed);
        Set<String> used = new LinkedHashSet<>();
        // source words: open syllables of common consonants; target words: a different sound system
        Lexicon a = new Lexicon("bdgklmnprstv", "aeiou", random, used);
        Lexicon b = new Lexicon("hjqwxzfc", "aeiouy", random, used);
        int[] sizes = {DETERMINERS, ADJECTIVES, NOUNS, VERBS};
        source = new String[sizes.length][];
        target = new String[sizes.length][];
        for (int kind = 0; kind < sizes.length; kind++) {
            int syllables = kind == 0 ? 1 : 2;
            source[kind] = a.words(sizes[kind], syllables);
            target[kind] = b.words(sizes[kind], syllables);
        }
        agreement = new String[] {"ex", "oz"};
    }

    /** The languages generated from {@code seed}; the study always uses {@link #STUDY_SEED}. */
    public static TranslationTask generate(long seed) {
        return new TranslationTask(seed);
    }

    /** The seed of the languages the shipped study trains on. */
    public static final long STUDY_SEED = 2018;

    /**
     * Draws {@code training + validation + test} distinct sentences: no validation or test sentence
     * occurs in the training pairs.
     */
    public Splits splits(int training, int validation, int test, long seed) {
        Random random = new Random(seed);
        Set<String> seen = new LinkedHashSet<>();
        List<List<Pair>> parts = new ArrayList<>();
        for (int size : new int[] {training, validation, test}) {
            List<Pair> part = new ArrayList<>(size);
            while (part.size() < size) {
                Pair pair = sentence(random);
                if (seen.add(pair.source())) {
                    part.add(pair);
                }
            }
            parts.add(List.copyOf(part));
        }
        return new Splits(parts.get(0), parts.get(1), parts.get(2));
    }

    /** How many distinct source sentences the grammar makes. */
    public long sentenceCount() {
        long phrase = (long) DETERMINERS * (ADJECTIVES + 1) * NOUNS;
        return phrase * VERBS * phrase;
    }

    private Pair sentence(Random random) {
        int[] subject = phrase(random);
        int verb = random.nextInt(VERBS);
        int[] object = phrase(random);
        String src = sourcePhrase(subject) + " " + source[3][verb] + " " + sourcePhrase(object);
        String tgt = targetPhrase(subject) + " " + targetPhrase(object) + " " + target[3][verb] + agreement[subject[0]];
        return new Pair(src, tgt);
    }

    /** determiner, adjective (-1: none), noun. */
    private static int[] phrase(Random random) {
        int adjective = random.nextInt(ADJECTIVES + 1) - 1;
        return new int[] {random.nextInt(DETERMINERS), adjective, random.nextInt(NOUNS)};
    }

    private String sourcePhrase(int[] p) {
        return source[0][p[0]] + (p[1] >= 0 ? " " + source[1][p[1]] : "") + " " + source[2][p[2]];
    }

    private String targetPhrase(int[] p) {
        return target[2][p[2]] + (p[1] >= 0 ? " " + target[1][p[1]] : "") + " " + target[0][p[0]];
    }

    /** Writes pairs as the service's prompt/completion JSONL: the study trains through the product's own reader. */
    public static Path write(Path file, List<Pair> pairs) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Pair p : pairs) {
                // the generated words are lower-case ASCII letters and spaces: nothing to escape
                out.write("{\"prompt\": \"" + p.source() + "\", \"completion\": \"" + p.target() + "\"}\n");
            }
        }
        return file;
    }

    /** Distinct words from one sound system, unique across both languages. */
    private static final class Lexicon {
        private final String consonants;
        private final String vowels;
        private final Random random;
        private final Set<String> used;

        Lexicon(String consonants, String vowels, Random random, Set<String> used) {
            this.consonants = consonants;
            this.vowels = vowels;
            this.random = random;
            this.used = used;
        }

        String[] words(int count, int syllables) {
            String[] words = new String[count];
            for (int i = 0; i < count; i++) {
                String word;
                do {
                    StringBuilder w = new StringBuilder();
                    for (int s = 0; s < syllables; s++) {
                        w.append(consonants.charAt(random.nextInt(consonants.length())));
                        w.append(vowels.charAt(random.nextInt(vowels.length())));
                    }
                    word = w.toString();
                } while (!used.add(word));
                words[i] = word;
            }
            return words;
        }
    }
}
