package dev.sublinear.study;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verdicts follow their stated rules, on made-up results. */
class ClaimsTest {

    private final Map<String, VariantSummary> summaries = new LinkedHashMap<>();

    /** Three seeds ending at these validation losses; a null loss is a failed run. */
    private void variant(String id, long stateBytes, Float... finalLosses) {
        variantWithExactMatch(id, stateBytes, 0.5, finalLosses);
    }

    private void variantWithExactMatch(String id, long stateBytes, double exactMatch, Float... finalLosses) {
        Variant variant = Variant.table().stream()
                .filter(v -> v.id().equals(id))
                .findFirst()
                .orElseThrow();
        List<RunResult> runs = new ArrayList<>();
        long seed = 1;
        for (Float loss : finalLosses) {
            float[] curve = new float[100];
            Arrays.fill(curve, loss == null ? 3f : loss);
            List<RunResult.Point> validation = loss == null
                    ? List.of(new RunResult.Point(0, 5.5))
                    : List.of(new RunResult.Point(0, 5.5), new RunResult.Point(100, loss));
            runs.add(new RunResult(
                    id,
                    seed++,
                    100,
                    curve,
                    validation,
                    loss == null ? "loss became NaN" : null,
                    exactMatch,
                    "",
                    stateBytes,
                    8000,
                    1000,
                    1.0,
                    1.0));
        }
        summaries.put(id, new VariantSummary(variant, runs));
    }

    private Claims.Verdict verdict(String startOfClaim) {
        return new Claims(summaries)
                .judge().stream()
                        .filter(c -> c.claim().startsWith(startOfClaim))
                        .findFirst()
                        .orElseThrow()
                        .verdict();
    }

    @Test
    void closeLossesMatchAndFarOnesDoNot() {
        variant(Variant.ADAFACTOR, 100, 1.00f, 1.02f, 1.01f);
        variant(Variant.FULL, 4000, 0.95f, 0.96f, 0.97f); // 0.05 better: within 10%
        variant(Variant.MOMENTUM, 4100, 0.50f, 0.51f, 0.52f); // 0.5 better: beyond 10% and the ranges
        assertEquals(Claims.Verdict.MATCHED, verdict("Factored"));
        assertEquals(Claims.Verdict.NOT_MATCHED, verdict("Momentum"));
        assertEquals(Claims.Verdict.NOT_TESTABLE, verdict("Relative"), "no fixed-rate variant");
        assertEquals(Claims.Verdict.MATCHED, verdict("The factored optimizer state"), "100 of Adam's 8000 bytes");
    }

    @Test
    void aCloseLossWithAWorseExactMatchDoesNotMatch() {
        variantWithExactMatch(Variant.ADAFACTOR, 100, 0.90, 0.001f, 0.001f, 0.002f);
        variantWithExactMatch(Variant.ADAM, 8000, 0.99, 0.0005f, 0.0005f, 0.0006f); // 0.001 apart: under 0.01 nats
        variantWithExactMatch(Variant.FIXED_RATE, 100, 0.91, 0.0005f, 0.0005f, 0.0006f); // within 2 points
        assertEquals(Claims.Verdict.NOT_MATCHED, verdict("Adafactor, with"));
        assertEquals(Claims.Verdict.MATCHED, verdict("Relative"));
    }

    @Test
    void aWideSeedSpreadWidensWhatCountsAsClose() {
        variant(Variant.ADAFACTOR, 100, 1.0f, 1.1f, 1.2f);
        variant(Variant.ADAM, 8000, 0.5f, 0.6f, 1.2f); // range 0.7 covers the 0.37 difference
        assertEquals(Claims.Verdict.MATCHED, verdict("Adafactor, with"));
    }

    @Test
    void slowDecayWithoutClippingThatFailsMatchesAndItsFixesAreJudged() {
        variant(Variant.SLOW_DECAY_NO_CLIP, 100, 1.0f, null, 1.1f);
        variant(Variant.SLOW_DECAY_CLIP, 100, 1.0f, 1.0f, 1.05f);
        variant(Variant.DECAY_NO_CLIP, 100, 1.0f, null, 1.0f);
        assertEquals(Claims.Verdict.MATCHED, verdict("With a slow decay"));
        assertEquals(Claims.Verdict.MATCHED, verdict("Update clipping"));
        assertEquals(Claims.Verdict.NOT_MATCHED, verdict("The increasing decay"));
    }

    @Test
    void aStableSlowDecayDoesNotMatchAndLeavesItsFixesUntestable() {
        variant(Variant.SLOW_DECAY_NO_CLIP, 100, 1.0f, 1.0f, 1.1f);
        variant(Variant.SLOW_DECAY_CLIP, 100, 1.0f, 1.0f, 1.05f);
        assertEquals(Claims.Verdict.NOT_MATCHED, verdict("With a slow decay"));
        assertEquals(Claims.Verdict.NOT_TESTABLE, verdict("Update clipping"));
    }
}
