package dev.sublinear.study;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs kept as they finish are read back by the next study of the same settings, and nothing else is left beside
 * them. */
class ResultsFileTest {

    @TempDir
    Path dir;

    @Test
    void runsAddedAreThereAfterReopening() throws Exception {
        Path file = dir.resolve("results/r.ser");
        ResultsFile results = ResultsFile.open(file, StudySettings.quick());
        results.add(run("adam", 1));
        results.add(run("adafactor", 2));

        ResultsFile reopened = ResultsFile.open(file, StudySettings.quick());
        assertThat(reopened.find("adam", 1))
                .hasValueSatisfying(r -> assertThat(r.steps()).isEqualTo(10));
        assertThat(reopened.find("adafactor", 2)).isPresent();
        assertThat(reopened.find("adam", 2)).isEmpty();
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("r.ser");
        }
    }

    private static RunResult run(String variant, long seed) {
        return new RunResult(
                variant,
                seed,
                10,
                new float[] {2f, 1f},
                List.of(new RunResult.Point(10, 1.5)),
                null,
                0.5,
                "sample",
                1,
                2,
                3,
                4.0,
                5.0);
    }
}
