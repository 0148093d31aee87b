package dev.sublinear.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sublinear.jobs.common.InvalidRequestException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * "auto" hyperparameters resolve by the documented rules, from the number of training examples; the
 * expected values are worked by hand from OpenAI's cookbook rule (3 epochs, at least 100 and at most
 * 25,000 examples trained, integer division) and docs/api.md's batch rule.
 */
class AutoHyperparametersTest {

    /** Read as the service reads requests and stored rows (application.yaml's spring.jackson settings). */
    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(
                    DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
                    DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    @ParameterizedTest
    @CsvSource({
        "1, 25", // 100 / 1 = 100, capped at 25
        "4, 25", // 100 / 4 = 25
        "5, 20",
        "16, 6", // 48 < 100: 100 / 16 = 6
        "33, 3", // 99 < 100: 100 / 33 = 3
        "34, 3",
        "8333, 3", // 24,999 <= 25,000
        "8334, 2", // 25,002 > 25,000: 25,000 / 8,334 = 2
        "12501, 1",
        "30000, 1" // 25,000 / 30,000 = 0, at least 1
    })
    void epochsFollowOpenAisRule(int examples, int epochs) {
        assertEquals(epochs, AutoHyperparameters.epochs(examples));
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "4, 4", "8, 8", "16, 8", "4000, 8", "4001, 16", "8000, 16", "8001, 32", "1000000, 32"})
    void batchSizeGrowsWithTheDataWithinItsBounds(int examples, int batchSize) {
        assertEquals(batchSize, AutoHyperparameters.batchSize(examples));
    }

    private static JobRequest.HyperparameterRequest hyper(String json) {
        return JSON.readValue(json, JobRequest.HyperparameterRequest.class);
    }

    private static JobRequest request(String hyperparameters, String method, String optimizer) {
        return new JobRequest(
                "lm-tiny",
                "file-x",
                null,
                null,
                hyperparameters == null ? null : hyper(hyperparameters),
                method == null ? null : JSON.readValue(method, JobRequest.MethodRequest.class),
                optimizer == null ? null : JSON.readValue(optimizer, JobRequest.OptimizerRequest.class),
                null,
                null,
                null,
                null,
                Map.of());
    }

    @Test
    void autoAndLeftOutResolveAlikeFromTheExamples() {
        JobSettings.Hyperparameters auto = JobDefaults.resolve(
                        request(
                                "{\"n_epochs\": \"auto\", \"batch_size\": \"auto\", \"learning_rate_multiplier\":"
                                        + " \"auto\"}",
                                null,
                                null),
                        1,
                        false,
                        16)
                .hyperparameters();
        JobSettings.Hyperparameters leftOut =
                JobDefaults.resolve(request(null, null, null), 1, false, 16).hyperparameters();
        assertEquals(leftOut, auto);
        assertEquals(6, auto.nEpochs());
        assertEquals(8, auto.batchSize());
        // Adafactor's relative step on a catalog model: no rate, so no multiplier
        assertNull(auto.learningRate());
        assertNull(auto.learningRateMultiplier());
    }

    @Test
    void theMethodFormAndTheTopLevelFormGiveTheSameSettings() {
        String h = "{\"n_epochs\": 2, \"batch_size\": 4, \"learning_rate_multiplier\": 0.5, \"max_steps\": 7}";
        JobSettings top = JobDefaults.resolve(request(h, null, "{\"type\": \"adam\"}"), 1, false, 16);
        JobSettings method = JobDefaults.resolve(
                request(
                        null,
                        "{\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": " + h + "}}",
                        "{\"type\": \"adam\"}"),
                1,
                false,
                16);
        assertEquals(top, method);
        assertEquals(0.5 * JobDefaults.ADAM_LEARNING_RATE, top.hyperparameters().learningRate(), 1e-15);
        assertEquals(0.5, top.hyperparameters().learningRateMultiplier());
        assertEquals(7, top.hyperparameters().maxSteps());
    }

    @Test
    void theMultiplierScalesThePretrainedDefaults() {
        JobSettings adafactor =
                JobDefaults.resolve(request("{\"learning_rate_multiplier\": 2}", null, null), 1, true, 16);
        assertEquals(
                2 * JobDefaults.PRETRAINED_ADAFACTOR_LEARNING_RATE,
                adafactor.hyperparameters().learningRate());
        JobSettings adamw = JobDefaults.resolve(
                request("{\"learning_rate_multiplier\": 3}", null, "{\"type\": \"adamw\"}"), 1, true, 16);
        assertEquals(
                3 * JobDefaults.PRETRAINED_ADAM_LEARNING_RATE,
                adamw.hyperparameters().learningRate(),
                1e-15);
        // an absolute rate is shown as the multiplier it amounts to
        JobSettings absolute = JobDefaults.resolve(request("{\"learning_rate\": 6e-4}", null, null), 1, true, 16);
        assertEquals(2.0, absolute.hyperparameters().learningRateMultiplier(), 1e-12);
    }

    private static InvalidRequestException refused(String hyperparameters, String method, String optimizer) {
        return assertThrows(
                InvalidRequestException.class,
                () -> JobDefaults.resolve(request(hyperparameters, method, optimizer), 1, false, 16));
    }

    @Test
    void badValuesAreRefusedNamingTheFieldWhereItWasGiven() {
        assertEquals(
                "hyperparameters.n_epochs",
                refused("{\"n_epochs\": \"three\"}", null, null).param());
        assertEquals(
                "hyperparameters.n_epochs",
                refused("{\"n_epochs\": 2.5}", null, null).param());
        assertEquals(
                "hyperparameters.n_epochs",
                refused("{\"n_epochs\": true}", null, null).param());
        assertEquals(
                "hyperparameters.batch_size",
                refused("{\"batch_size\": 0}", null, null).param());
        assertEquals(
                "method.supervised.hyperparameters.learning_rate_multiplier",
                refused(
                                null,
                                "{\"type\": \"supervised\", \"supervised\": {\"hyperparameters\":"
                                        + " {\"learning_rate_multiplier\": \"fast\"}}}",
                                null)
                        .param());
        assertEquals(
                "method.supervised.hyperparameters.batch_size",
                refused(
                                null,
                                "{\"type\": \"supervised\", \"supervised\": {\"hyperparameters\":"
                                        + " {\"batch_size\": \"8\"}}}",
                                null)
                        .param());
    }

    @Test
    void aMultiplierNeedsAFixedRate() {
        InvalidRequestException relative = refused("{\"learning_rate_multiplier\": 2}", null, null);
        assertEquals("hyperparameters.learning_rate_multiplier", relative.param());
        assertTrue(relative.getMessage().contains("learning_rate"), relative.getMessage());
        // 1 changes nothing and is what "auto" means
        assertNull(JobDefaults.resolve(request("{\"learning_rate_multiplier\": 1}", null, null), 1, false, 16)
                .hyperparameters()
                .learningRate());
        assertEquals(
                "hyperparameters.learning_rate_multiplier",
                refused("{\"learning_rate_multiplier\": 2, \"learning_rate\": 0.001}", null, "{\"type\": \"adam\"}")
                        .param());
    }

    @Test
    void onlySupervisedIsTrainedAndOneFormAtATime() {
        InvalidRequestException dpo = refused(null, "{\"type\": \"dpo\", \"dpo\": {}}", null);
        assertEquals("method.type", dpo.param());
        assertTrue(dpo.getMessage().contains("supervised"), dpo.getMessage());
        assertEquals(
                "method.type",
                refused(null, "{\"type\": \"reinforcement\"}", null).param());
        assertEquals("method.type", refused(null, "{\"supervised\": {}}", null).param());
        assertEquals(
                "method.dpo",
                refused(null, "{\"type\": \"supervised\", \"dpo\": {}}", null).param());
        assertEquals(
                "hyperparameters",
                refused(
                                "{\"n_epochs\": 1}",
                                "{\"type\": \"supervised\", \"supervised\": {\"hyperparameters\":"
                                        + " {\"n_epochs\": 1}}}",
                                null)
                        .param());
        // supervised without settings takes the defaults
        assertEquals(
                JobDefaults.resolve(request(null, null, null), 1, false, 16),
                JobDefaults.resolve(request(null, "{\"type\": \"supervised\"}", null), 1, false, 16));
        assertEquals(
                JobDefaults.resolve(request(null, null, null), 1, false, 16),
                JobDefaults.resolve(
                        request(null, "{\"type\": \"supervised\", \"supervised\": null, \"dpo\": null}", null),
                        1,
                        false,
                        16));
    }

    @Test
    void oldRowsWithoutAMultiplierStillRead() {
        JsonNode row = JSON.readTree("{\"n_epochs\": 3, \"batch_size\": 8, \"learning_rate\": null, \"max_steps\": 0,"
                + " \"warmup_steps\": 0, \"gradient_accumulation\": 1, \"eval_interval_steps\": 0,"
                + " \"checkpoint_interval_steps\": 100}");
        JobSettings.Hyperparameters h = JSON.treeToValue(row, JobSettings.Hyperparameters.class);
        assertEquals(3, h.nEpochs());
        assertNull(h.learningRateMultiplier());
    }
}
