package dev.sublinear.training.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * Mean token accuracy on cases small enough to count by hand: only the tokens the loss counts
 * (mask above zero), each weighted by its mask value, argmax against the target.
 */
class TokenAccuracyTest {

    @Test
    void causalLmCountsOnlyTheMaskedTargetsWeightedByTheMask() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // logits [2 rows, 3 positions, 4 tokens]; argmax per position in the comments
            NDArray logits = manager.create(new float[] {
                        0.1f, 2.0f, 0.3f, 0.0f, // row 0 t0: 1
                        3.0f, 1.0f, 0.0f, 0.0f, // row 0 t1: 0
                        0.0f, 0.0f, 0.0f, 5.0f, // row 0 t2: 3
                        0.0f, 0.0f, 4.0f, 1.0f, // row 1 t0: 2
                        1.0f, 2.0f, 3.0f, 4.0f, // row 1 t1: 3
                        9.0f, 0.0f, 0.0f, 0.0f // row 1 t2: 0
                    })
                    .reshape(new Shape(2, 3, 4));
            // hits: row 0 [yes, no, yes], row 1 [yes, yes, yes]
            NDArray targets = manager.create(new long[] {1, 2, 3, 2, 3, 0}).reshape(new Shape(2, 3));
            // row 0 t0 is prompt (0), row 1 t0 half weight, row 1 t2 padding (0)
            NDArray mask =
                    manager.create(new float[] {0f, 1f, 1f, 0.5f, 1f, 0f}).reshape(new Shape(2, 3));

            TokenAccuracy.Counts counts = TokenAccuracy.count(new NDList(targets, mask), logits, false);

            // correct: row 0 t2 (1) + row 1 t0 (0.5) + row 1 t1 (1); counted: 1 + 1 + 0.5 + 1
            assertThat(counts.correct()).isCloseTo(2.5, within(1e-9));
            assertThat(counts.weight()).isCloseTo(3.5, within(1e-9));
            assertThat(counts.fraction()).isCloseTo(2.5f / 3.5f, within(1e-6f));
            // counting every position instead would give 5/6
            assertThat(counts.fraction()).isNotCloseTo(5f / 6f, within(0.05f));
        }
    }

    @Test
    void classificationIsTheFractionOfRowsRight() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.create(new float[] {0.2f, 0.8f, 0.9f, 0.1f, 0.3f, 0.7f, 0.6f, 0.4f})
                    .reshape(new Shape(4, 2));
            NDArray labels = manager.create(new long[] {1, 1, 1, 0});

            TokenAccuracy.Counts counts = TokenAccuracy.count(new NDList(labels), logits, true);

            assertThat(counts.correct()).isEqualTo(3);
            assertThat(counts.weight()).isEqualTo(4);
        }
    }

    @Test
    void countsOfSeveralBatchesAddUpBeforeDividing() {
        TokenAccuracy.Counts two = new TokenAccuracy.Counts(1, 4).plus(new TokenAccuracy.Counts(3, 4));
        assertThat(two.fraction()).isEqualTo(0.5f); // not the mean of 0.25 and 0.75 weighted otherwise
        assertThat(new TokenAccuracy.Counts(1, 1)
                        .plus(new TokenAccuracy.Counts(0, 3))
                        .fraction())
                .isEqualTo(0.25f);
        assertThat(TokenAccuracy.Counts.NONE.fraction()).isNaN();
    }
}
