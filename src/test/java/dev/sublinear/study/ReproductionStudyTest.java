package dev.sublinear.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The study's quick mode: every variant trains from every seed and the report, plots and CSV are written. */
class ReproductionStudyTest {

    @TempDir
    Path out;

    @Test
    void quickModeRunsEveryVariantAndWritesItsReport() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        StudySettings quick = StudySettings.quick();
        ReproductionStudy study =
                new ReproductionStudy(quick, Variant.table(), new PrintStream(log, true, StandardCharsets.UTF_8));

        ReproductionStudy.Outcome outcome = study.run(out, "test");

        int variants = Variant.table().size();
        int seeds = quick.seeds().size();
        assertEquals(variants, outcome.summaries().size());
        for (VariantSummary s : outcome.summaries()) {
            assertEquals(seeds, s.runs().size(), s.variant().id());
            for (RunResult r : s.runs()) {
                assertEquals(quick.steps(), r.steps(), r.variant() + " seed " + r.seed() + ": " + r.failure());
                assertTrue(r.finalValidLoss() < r.initialValidLoss(), r.variant() + " learnt something");
                assertTrue(r.stateBytes() > 0 && r.adamBytes() == 8 * r.parameterBytes() / 4, r.toString());
            }
        }
        VariantSummary adafactor = summary(outcome, Variant.ADAFACTOR);
        VariantSummary full = summary(outcome, Variant.FULL);
        assertTrue(adafactor.stateBytes() * 10 < full.stateBytes(), "factored state is a fraction of the full one");
        assertEquals(full.adamBytes() / 2, full.stateBytes(), "the full second moment is one float per parameter");
        assertEquals(8, outcome.claims().size());

        String page = Files.readString(outcome.page());
        assertTrue(page.contains("too short for the numbers or the verdicts"), "a quick page says what it is not");
        for (Variant v : Variant.table()) {
            assertTrue(page.contains("| " + v.id() + " |"), v.id() + " has a row");
        }
        for (Claims.Claim c : outcome.claims()) {
            assertTrue(page.contains(c.claim()), c.claim());
        }
        for (String png : List.of(Plots.LOSS_CURVES, Plots.VALIDATION, Plots.MEMORY)) {
            Path file = out.resolve(Report.FILES).resolve(png);
            assertTrue(page.contains(Report.FILES + "/" + png), png + " is on the page");
            BufferedImage image = ImageIO.read(file.toFile());
            assertNotNull(image, png + " is a PNG");
            assertTrue(image.getWidth() >= 500 && image.getHeight() >= 300, png);
        }
        List<String> csv = Files.readAllLines(out.resolve(Report.FILES).resolve(Report.RUNS_CSV));
        assertEquals(1 + variants * seeds, csv.size());
        assertTrue(
                log.toString(StandardCharsets.UTF_8).contains("[" + variants * seeds + "/" + variants * seeds + "]"));
    }

    @Test
    void aSecondRunReplacesItsSectionAndKeepsTheDiscussionAroundIt() throws Exception {
        StudySettings tiny = StudySettings.quick().withSeeds(List.of(1L)).withSteps(4);
        List<Variant> two = Variant.table().subList(0, 2);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Path page = new ReproductionStudy(tiny, two, quiet).run(out, "first").page();
        Files.writeString(page, Files.readString(page) + "\n## Discussion\n\nwritten by hand\n");

        new ReproductionStudy(tiny, two, quiet).run(out, "second");

        String text = Files.readString(page);
        assertTrue(text.contains("written by hand"), text);
        assertTrue(text.contains("`second`") && !text.contains("`first`"), text);
        assertEquals(1, text.split("<!-- begin quick study -->", -1).length - 1, "one section");
    }

    private static VariantSummary summary(ReproductionStudy.Outcome outcome, String id) {
        return outcome.summaries().stream()
                .filter(s -> s.variant().id().equals(id))
                .findFirst()
                .orElseThrow();
    }
}
