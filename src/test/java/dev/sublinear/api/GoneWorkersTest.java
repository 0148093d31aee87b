package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.TestDatabases;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * A worker process that stopped leaves {@code GET /v1/workers} once it has been gone for
 * {@code sublinear.jobs.remove-gone-workers-after}, and the reaper logs it; a worker that keeps
 * heartbeating stays, and one whose row went registers again. Two processes on one PostgreSQL
 * database, as in a cluster.
 */
@ExtendWith(OutputCaptureExtension.class)
class GoneWorkersTest {

    /** Above the test timings' worker-timeout (3 s), as the setting requires. */
    private static final String RETENTION = "--sublinear.jobs.remove-gone-workers-after=5s";

    private static final Pattern REMOVED = Pattern.compile(
            "Worker worker-b removed from the workers list: stopped (\\d+)s ago \\(remove-gone-workers-after 5s\\)");

    @TempDir
    Path dir;

    @Test
    void aStoppedWorkerLeavesTheListAfterTheRetention(CapturedOutput output) {
        TestDatabases.Database database = TestDatabases.postgres();
        String shared = "--sublinear.artifacts-dir=" + dir.resolve("artifacts");
        try (RunningService a =
                RunningService.start(dir.resolve("a"), database, shared, RETENTION, "--sublinear.worker.id=worker-a")) {
            RunningService b = RunningService.start(
                    dir.resolve("b"),
                    database,
                    shared,
                    RETENTION,
                    "--sublinear.roles=worker",
                    "--sublinear.worker.id=worker-b");
            assertThat(statuses(a)).containsEntry("worker-a", "online").containsEntry("worker-b", "online");

            long stoppedAt = System.currentTimeMillis();
            b.close();
            assertThat(statuses(a)).containsEntry("worker-b", "stopped");

            long deadline = stoppedAt + 30_000;
            while (statuses(a).containsKey("worker-b") && System.currentTimeMillis() < deadline) {
                ServiceClient.sleep(200);
            }
            long goneAfter = System.currentTimeMillis() - stoppedAt;
            Map<String, String> left = statuses(a);
            assertThat(left).doesNotContainKey("worker-b").containsEntry("worker-a", "online");
            // not before the retention has passed (a little slack for the clocks of two log reads)
            assertThat(goneAfter).isGreaterThanOrEqualTo(5_000);

            Matcher logged = REMOVED.matcher(output.getOut());
            assertThat(logged.find())
                    .as("the reaper's log line in:%n%s", output.getOut())
                    .isTrue();
            assertThat(Integer.parseInt(logged.group(1))).isBetween(5, 30);
            assertThat(logged.find()).as("logged once, though two reapers ran").isFalse();

            // a worker whose row went while it was away (another process's reaper with a shorter setting, a
            // long partition) is back in the list at its next heartbeat
            a.context()
                    .getBean(JdbcClient.class)
                    .sql("DELETE FROM workers WHERE id = 'worker-a'")
                    .update();
            assertThat(statuses(a)).doesNotContainKey("worker-a");
            long back = System.currentTimeMillis() + 10_000;
            while (!statuses(a).containsKey("worker-a") && System.currentTimeMillis() < back) {
                ServiceClient.sleep(100);
            }
            assertThat(statuses(a)).containsEntry("worker-a", "online");
            assertThat(output.getOut()).contains("Worker worker-a was removed from the workers list while silent");
        }
    }

    private static Map<String, String> statuses(RunningService api) {
        Map<String, String> out = new HashMap<>();
        for (JsonNode w : api.get("/v1/workers").expect(200).json().get("data")) {
            out.put(w.get("id").asString(), w.get("status").asString());
        }
        return out;
    }
}
