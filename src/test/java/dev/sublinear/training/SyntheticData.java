package dev.sublinear.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small generated data sets that a tiny model learns in seconds: made here, nothing downloaded. */
public final class SyntheticData {

    private SyntheticData() {}

    /** Causal LM: the prompt is a short word, the completion the word reversed. */
    public static Path reversal(Path file, int examples, long seed) throws IOException {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            String word = word(random, 3 + random.nextInt(3));
            lines.add("{\"prompt\": \"" + word + "\", \"completion\": \"" + new StringBuilder(word).reverse() + "\"}");
        }
        return write(file, lines);
    }

    /** Classification: "vowel" when the text starts with a vowel, else "consonant". */
    public static Path initials(Path file, int examples, long seed) throws IOException {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            String text = word(random, 4 + random.nextInt(4));
            String label = "aeiou".indexOf(text.charAt(0)) >= 0 ? "vowel" : "consonant";
            lines.add("{\"text\": \"" + text + "\", \"label\": \"" + label + "\"}");
        }
        return write(file, lines);
    }

    static String word(Random random, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.append((char) ('a' + random.nextInt(8)));
        }
        return s.toString();
    }

    public static Path write(Path file, List<String> lines) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
