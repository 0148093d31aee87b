package dev.sublinear.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.tracker.Tracker;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AdafactorBuilderTest {

    static Stream<Arguments> invalidOptions() {
        return Stream.of(
                invalid("optBeta1", b -> b.optBeta1(-0.1f)),
                invalid("optBeta1", b -> b.optBeta1(1f)),
                invalid("optBeta1", b -> b.optBeta1(Float.NaN)),
                invalid("optDecayRate", b -> b.optDecayRate(0f)),
                invalid("optDecayRate", b -> b.optDecayRate(-0.8f)),
                invalid("optDecayRate", b -> b.optDecayRate(Float.POSITIVE_INFINITY)),
                invalid("optBeta2", b -> b.optBeta2(1f)),
                invalid("optBeta2", b -> b.optBeta2(-0.1f)),
                invalid("optBeta2", b -> b.optBeta2(Float.NaN)),
                invalid("optClipThreshold", b -> b.optClipThreshold(0f)),
                invalid("optClipThreshold", b -> b.optClipThreshold(Float.NaN)),
                invalid("optEpsilon1", b -> b.optEpsilon1(0f)),
                invalid("optEpsilon1", b -> b.optEpsilon1(-1e-30f)),
                invalid("optEpsilon2", b -> b.optEpsilon2(-1e-3f)),
                invalid("optEpsilon2", b -> b.optEpsilon2(Float.NaN)),
                invalid("optMinDimSizeToFactor", b -> b.optMinDimSizeToFactor(0)),
                invalid("optWeightDecays", b -> b.optWeightDecays(-0.01f)),
                invalid("optWeightDecays", b -> b.optWeightDecays(Float.NaN)),
                invalid("setRescaleGrad", b -> b.setRescaleGrad(0f)),
                invalid("setRescaleGrad", b -> b.setRescaleGrad(Float.NaN)),
                invalid("optClipGrad", b -> b.optClipGrad(0f)),
                invalid("optLearningRateTracker", b -> b.optRelativeStep(false)),
                invalid("optLearningRateTracker", b -> b.optLearningRateTracker(Tracker.fixed(1e-3f))),
                invalid(
                        "optWarmupInit",
                        b -> b.optRelativeStep(false)
                                .optLearningRateTracker(Tracker.fixed(1e-3f))
                                .optWarmupInit(true)));
    }

    private static Arguments invalid(String option, UnaryOperator<Adafactor.Builder> setting) {
        return Arguments.of(option, setting);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidOptions")
    void rejectsInvalidOptionNamingIt(String option, UnaryOperator<Adafactor.Builder> setting) {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> setting.apply(Adafactor.builder()).build());
        assertTrue(e.getMessage().contains(option), () -> "message should name " + option + ": " + e.getMessage());
    }

    @Test
    void acceptsEveryOptionInRange() {
        Adafactor optimizer = Adafactor.builder()
                .optRelativeStep(false)
                .optLearningRateTracker(Tracker.fixed(1e-3f))
                .optScaleParameter(false)
                .optBeta1(0.9f)
                .optDecayRate(0.5f)
                .optClipThreshold(2f)
                .optEpsilon1(1e-20f)
                .optEpsilon2(0f)
                .optFactored(false)
                .optMinDimSizeToFactor(128)
                .optWeightDecays(0.01f)
                .setRescaleGrad(0.5f)
                .optClipGrad(1f)
                .build();
        assertNotNull(optimizer);
        assertEquals(0, optimizer.stateBytes());
    }

    @Test
    void rejectsIntegerParametersNamingThem() {
        try (NDManager manager = NDManager.newBaseManager();
                Adafactor optimizer = Adafactor.builder().build()) {
            NDArray weight = manager.ones(new Shape(2, 2), DataType.INT32);
            NDArray grad = manager.ones(new Shape(2, 2), DataType.INT32);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> optimizer.update("counts", weight, grad));
            assertTrue(e.getMessage().contains("counts"), e.getMessage());
        }
    }

    @Test
    void rejectsATrackerThatReturnsNaN() {
        try (NDManager manager = NDManager.newBaseManager();
                Adafactor optimizer = Adafactor.builder()
                        .optRelativeStep(false)
                        .optLearningRateTracker(Tracker.fixed(Float.NaN))
                        .build()) {
            NDArray weight = manager.ones(new Shape(3));
            NDArray grad = manager.ones(new Shape(3));
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> optimizer.update("w", weight, grad));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        }
    }
}
