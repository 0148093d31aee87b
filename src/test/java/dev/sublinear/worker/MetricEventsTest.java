package dev.sublinear.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.ServiceClient;
import dev.sublinear.training.run.EvaluationReport;
import dev.sublinear.training.run.StepReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Which steps become {@code metrics} events, and what they hold, for a run followed step by step. */
class MetricEventsTest {

    @Test
    void everyTwentiethOfTheRunAndEveryEvaluationOnceEachWithItsValidationFigures() {
        MetricEvents events = new MetricEvents();
        events.evaluation(new EvaluationReport(0, 3.0f, 0.1f)); // before the first step: no event
        for (int step = 1; step <= 40; step++) {
            events.step(report(step, 40));
            if (step % 5 == 0) {
                events.evaluation(new EvaluationReport(step, 2.0f, 0.5f));
            }
        }
        events.runEnded();
        List<String[]> written = new ArrayList<>();
        events.flushTo((message, data) -> written.add(new String[] {message, data}));

        Map<Integer, JsonNode> byStep = new TreeMap<>();
        for (String[] e : written) {
            JsonNode data = ServiceClient.JSON.readTree(e[1]);
            assertThat(byStep.put(data.get("step").asInt(), data))
                    .as("one event per step")
                    .isNull();
        }
        // 40 steps: every 2nd (a twentieth), and the evaluations at 5, 15, 25, 35 between them
        List<Integer> expected = new ArrayList<>();
        for (int step = 1; step <= 40; step++) {
            if (step % 2 == 0 || step % 5 == 0) {
                expected.add(step);
            }
        }
        assertThat(byStep.keySet()).containsExactlyElementsOf(expected);
        assertThat(expected).hasSize(24);
        byStep.forEach((step, data) -> {
            assertThat(data.get("total_steps").asInt()).isEqualTo(40);
            assertThat(data.get("train_loss").asDouble()).isEqualTo(1.25);
            assertThat(data.get("train_mean_token_accuracy").asDouble()).isEqualTo(0.75);
            if (step % 5 == 0) {
                assertThat(data.get("valid_loss").asDouble())
                        .as("step %d", step)
                        .isEqualTo(2.0);
                assertThat(data.get("valid_mean_token_accuracy").asDouble()).isEqualTo(0.5);
            } else {
                assertThat(data.get("valid_loss").isNull()).as("step %d", step).isTrue();
                assertThat(data.get("valid_mean_token_accuracy").isNull()).isTrue();
            }
        });
        assertThat(written.get(written.size() - 1)[0])
                .isEqualTo("Step 40/40: training loss=1.2500, token accuracy=0.7500, validation loss=2.0000,"
                        + " validation token accuracy=0.5000");
    }

    @Test
    void aFailedWriteKeepsTheEventForTheNextFlush() {
        MetricEvents events = new MetricEvents();
        events.step(report(1, 1));
        events.runEnded();
        List<String> written = new ArrayList<>();
        try {
            events.flushTo((message, data) -> {
                throw new IllegalStateException("database down");
            });
        } catch (IllegalStateException expected) {
            // the heartbeat logs it and tries again
        }
        events.flushTo((message, data) -> written.add(data));
        assertThat(written).hasSize(1);
        assertThat(written.get(0)).contains("\"step\":1", "\"valid_loss\":null");
    }

    private static StepReport report(int step, int total) {
        return new StepReport(
                new StepReport.Progress(step, total, 1, 100L * step, step, total - step),
                1.25f,
                0.75f,
                new StepReport.Throughput(100, 1000),
                new StepReport.Diagnostics(0.01f, Float.NaN, Float.NaN),
                new StepReport.OptimizerMemory(1, 2, 3),
                new StepReport.Memory(1, 2, -1));
    }
}
