package dev.sublinear.training.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.sublinear.training.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many generations (sampled, scored, streamed, stopped, cancelled half-way), scorings and legacy
 * generations past the context must leave the model's live NDArrays where they were: each cache and
 * each step's temporaries are freed with their managers.
 */
class GenerationLeakTest {

    private static final int ROUNDS = 12;

    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "own"})
    void manyGenerationsLeaveNoArraysBehind(String family) throws Exception {
        try (LoadedModel model = family.equals("own")
                ? GenerationFixtures.ownModel(31)
                : GenerationFixtures.tinyHf(directory, family, 31)) {
            TextGenerator generator = new TextGenerator(model);
            NDManager manager = model.model().getNDManager();
            round(model, generator, 0);
            int arraysBefore = manager.getManagedArrays().size();
            long rssBefore = residentKiB();
            for (int r = 1; r <= ROUNDS; r++) {
                round(model, generator, r);
            }
            int arraysAfter = manager.getManagedArrays().size();
            long rssAfter = residentKiB();
            System.out.printf(
                    "%s generation leak check: %d rounds, live NDArrays %d -> %d, resident memory %+d KiB%n",
                    family, ROUNDS, arraysBefore, arraysAfter, rssAfter - rssBefore);
            assertEquals(arraysBefore, arraysAfter, "live NDArrays after " + ROUNDS + " rounds");
            // a leaked cache per round would hold 2 layers x 2 x 30 positions x 32 floats, and every step's
            // temporaries far more: allow allocator noise only
            assertTrue(rssAfter - rssBefore < 32 * 1024, "resident memory grew by " + (rssAfter - rssBefore) + " KiB");
        }
    }

    private static void round(LoadedModel model, TextGenerator generator, long seed) {
        int[] prompt = generator.encodePrompt("the weather");
        generator.generate(prompt, new Sampling(24, 0.9, 0.95, seed, List.of("zz"), 3), () -> false, (t, s) -> {});
        generator.score(prompt, 2, () -> false);
        AtomicInteger asked = new AtomicInteger();
        assertThrows(
                CancellationException.class,
                () -> generator.generate(
                        prompt,
                        new Sampling(24, 0, 1, seed, List.of(), -1),
                        () -> asked.incrementAndGet() > 5,
                        TokenStream.NONE));
        // the older endpoint's path, past the 64-token context: the window is read again
        model.generate("the weather", 70, 1f, seed);
    }

    private static long residentKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
