package dev.sublinear.training.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.optimizer.Adam;
import dev.sublinear.optimizer.StatefulOptimizer;
import org.junit.jupiter.api.Test;

class OptimizerConfigTest {

    private static final float LR = 1e-2f;

    @Test
    void constantWithWarmupRisesLinearlyThenHolds() {
        ParameterTracker t = new LearningRate(LearningRate.Schedule.CONSTANT, LR, 10).tracker(100);
        assertEquals(LR * 5 / 10, t.getNewValue("p", 5), 1e-6f);
        assertEquals(LR, t.getNewValue("p", 10), 1e-6f);
        assertEquals(LR, t.getNewValue("p", 90), 1e-6f);
    }

    @Test
    void linearAndCosineDecayToZeroByTheLastStep() {
        ParameterTracker linear = new LearningRate(LearningRate.Schedule.LINEAR, LR, 0).tracker(100);
        assertEquals(LR / 2, linear.getNewValue("p", 50), 1e-5f);
        assertEquals(0f, linear.getNewValue("p", 100), 1e-6f);
        ParameterTracker cosine = new LearningRate(LearningRate.Schedule.COSINE, LR, 0).tracker(100);
        assertEquals(LR / 2, cosine.getNewValue("p", 50), 1e-4f);
        assertTrue(cosine.getNewValue("p", 100) < 1e-6f);
    }

    @Test
    void buildsEachOptimizer() {
        assertInstanceOf(Adafactor.class, OptimizerConfig.adafactor().build(10));
        assertInstanceOf(
                Adafactor.class,
                OptimizerConfig.adafactor()
                        .withLearningRate(new LearningRate(LearningRate.Schedule.COSINE, LR, 2))
                        .build(10));
        assertInstanceOf(Adam.class, OptimizerConfig.adam(LR).build(10));
        assertInstanceOf(Adam.class, adamw(0.01f).build(10));
        assertInstanceOf(StatefulOptimizer.class, OptimizerConfig.adam(LR).build(10));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> OptimizerConfig.adam(LR)
                        .withLearningRate(LearningRate.RELATIVE)
                        .build(10));
        assertTrue(e.getMessage().contains("relative"), e.getMessage());
    }

    @Test
    void adamwDecaysTheWeightItselfAndAdamTakesNoDecay() {
        // with a zero gradient the moments stay 0: only a decoupled decay moves the weight
        assertEquals(
                2f * (1f - LR * 0.01f), afterOneZeroGradientStep(adamw(0.01f).build(10)), 1e-7f);
        assertEquals(2f, afterOneZeroGradientStep(OptimizerConfig.adam(LR).build(10)), 0f);
    }

    private static float afterOneZeroGradientStep(Optimizer optimizer) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(new float[] {2f});
            optimizer.update("w", weight, manager.zeros(weight.getShape()));
            ((AutoCloseable) optimizer).close();
            return weight.getFloat(0);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static OptimizerConfig adamw(float weightDecay) {
        return OptimizerConfig.adamw(LR, weightDecay);
    }
}
