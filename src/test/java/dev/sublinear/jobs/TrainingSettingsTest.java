package dev.sublinear.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.optimizer.AdafactorOptions;
import dev.sublinear.training.run.LearningRate;
import dev.sublinear.training.run.OptimizerConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A job's resolved settings reach the training layer's optimizer unchanged. */
class TrainingSettingsTest {

    private static JobSettings settings(String type, Float beta2, Double learningRate) {
        AdafactorOptions options = Adafactor.builder()
                .optBeta1(0.9f)
                .optBeta2(beta2 == null ? 0f : beta2)
                .optRelativeStep(learningRate == null)
                .options();
        return new JobSettings(
                new JobSettings.Hyperparameters(3, 8, learningRate, 0, 0, 1, 0, 50, null),
                new JobSettings.Optimizer(type, options),
                7,
                null,
                Map.of());
    }

    @Test
    void aFixedBeta2IsPassedOnAndNoneMeansTheIncreasingDecay() {
        OptimizerConfig slow = TrainingSettings.optimizer(settings("adafactor", 0.999f, null));
        assertEquals(0.999f, slow.options().beta2());
        assertEquals(LearningRate.RELATIVE, slow.learningRate());
        assertNull(TrainingSettings.optimizer(settings("adafactor", null, null))
                .options()
                .beta2());
        OptimizerConfig adam = TrainingSettings.optimizer(settings("adam", 0.98f, 1e-3));
        assertEquals(OptimizerConfig.Type.ADAM, adam.type());
        assertEquals(0.98f, adam.options().beta2());
        assertEquals(0.9f, adam.options().beta1());
        assertEquals(1e-3f, adam.learningRate().peak());
    }

    @Test
    void anOptionOutOfRangeIsRefusedNamingTheRequestField() {
        JobRequest request = new JobRequest(
                "lm-tiny",
                "file-x",
                null,
                null,
                null,
                null,
                new JobRequest.OptimizerRequest(
                        null, null, null, null, null, null, null, null, null, null, null, 0, null),
                null,
                null,
                null,
                null,
                null);
        InvalidRequestException e =
                assertThrows(InvalidRequestException.class, () -> JobDefaults.resolve(request, 1, false, 100));
        assertEquals("optimizer.min_dim_size_to_factor", e.param());
        assertTrue(e.getMessage().startsWith("min_dim_size_to_factor must be >= 1"), e.getMessage());
    }

    @Test
    void aRuleBetweenOptionsNamesBothByTheRequestsNames() {
        JobRequest request = new JobRequest(
                "lm-tiny",
                "file-x",
                null,
                null,
                new JobRequest.HyperparameterRequest(null, null, null, 1e-3, null, null, null, null, null),
                null,
                new JobRequest.OptimizerRequest(
                        null, null, null, null, null, null, null, true, null, null, null, null, null),
                null,
                null,
                null,
                null,
                null);
        InvalidRequestException e =
                assertThrows(InvalidRequestException.class, () -> JobDefaults.resolve(request, 1, false, 100));
        assertEquals("optimizer.warmup_init", e.param());
        assertTrue(e.getMessage().startsWith("warmup_init needs relative_step"), e.getMessage());
    }

    @Test
    void defaultsComeFromTheOptionsType() {
        JobRequest request =
                new JobRequest("lm-tiny", "file-x", null, null, null, null, null, null, null, null, null, null);
        assertEquals(
                AdafactorOptions.defaults(),
                JobDefaults.resolve(request, 1, false, 100).optimizer().options());
    }

    @Test
    void aPretrainedBaseGetsFineTuningDefaults() {
        JobRequest request =
                new JobRequest("file-x", "file-y", null, null, null, null, null, null, null, null, null, null);
        JobSettings adafactor = JobDefaults.resolve(request, 1, true, 100);
        assertEquals(false, adafactor.optimizer().options().relativeStep());
        assertEquals(false, adafactor.optimizer().options().scaleParameter());
        assertEquals(
                JobDefaults.PRETRAINED_ADAFACTOR_LEARNING_RATE,
                adafactor.hyperparameters().learningRate());
        JobRequest adamw = new JobRequest(
                "file-x",
                "file-y",
                null,
                null,
                null,
                null,
                new JobRequest.OptimizerRequest(
                        "adamw", null, null, null, null, null, null, null, null, null, null, null, null),
                null,
                null,
                null,
                null,
                null);
        assertEquals(
                JobDefaults.PRETRAINED_ADAM_LEARNING_RATE,
                JobDefaults.resolve(adamw, 1, true, 100).hyperparameters().learningRate());
        // what a user sets still wins
        JobRequest relative = new JobRequest(
                "file-x",
                "file-y",
                null,
                null,
                null,
                null,
                new JobRequest.OptimizerRequest(
                        null, null, null, null, null, true, null, null, null, null, null, null, null),
                null,
                null,
                null,
                null,
                null);
        assertEquals(
                true,
                JobDefaults.resolve(relative, 1, true, 100)
                        .optimizer()
                        .options()
                        .relativeStep());
        assertNull(JobDefaults.resolve(relative, 1, true, 100).hyperparameters().learningRate());
    }
}
