package dev.sublinear.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sublinear.training.run.OptimizerConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A job's resolved settings reach the training layer's optimizer unchanged. */
class TrainingSettingsTest {

    private static JobSettings settings(String type, Double beta2, Double learningRate) {
        return new JobSettings(new JobSettings.Hyperparameters(3, 8, learningRate, 0, 0, 1, 0, 50),
                new JobSettings.Optimizer(type, 0.9, beta2, 0.8, 1.0, learningRate == null, true, false, 1e-30, 1e-3, true,
                        1, 0.0),
                7, null, Map.of());
    }

    @Test
    void aFixedBeta2IsPassedOnAndNoneMeansTheIncreasingDecay() {
        OptimizerConfig slow = TrainingSettings.optimizer(settings("adafactor", 0.999, null));
        assertEquals(0.999f, slow.beta2());
        assertEquals(OptimizerConfig.Schedule.RELATIVE, slow.schedule());
        assertEquals(0f, TrainingSettings.optimizer(settings("adafactor", null, null)).beta2());
        OptimizerConfig adam = TrainingSettings.optimizer(settings("adam", 0.98, 1e-3));
        assertEquals(OptimizerConfig.Type.ADAM, adam.type());
        assertEquals(0.98f, adam.beta2());
        assertEquals(0.9f, adam.beta1());
    }
}
