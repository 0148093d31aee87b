package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.Trees;
import dev.sublinear.training.SyntheticData;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * What a tenant reads about its jobs never shows the server: no path of its disks in a job's error
 * or events when the platform fails, and no worker (named after its host) unless the key is an
 * admin's.
 */
class InformationExposureTest {

    /** An absolute path, as a platform failure's exception would carry it. */
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("(^|[\\s'\"(:=])/[^\\s/]+/");

    @TempDir
    static Path dir;

    static RunningService service;
    static ServiceClient tenant;

    @BeforeAll
    static void start() {
        // one job at a time: a running job keeps the next one queued
        service = RunningService.start(dir.resolve("data"), null, "--sublinear.worker.cpu-slots=1");
        service.post("/v1/admin/tenants", "{\"id\": \"acme\", \"name\": \"Acme\"}")
                .expect(201);
        tenant = service.as(service.post("/v1/admin/tenants/acme/keys", "{\"name\": \"ci\", \"admin\": false}")
                .expect(201)
                .json()
                .get("secret")
                .asString());
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aPlatformFailureShowsNoServerPath() throws Exception {
        // a long job holds the only slot while the next job's training data is lost from the disk
        String blockerFile = service.uploadFile(SyntheticData.reversal(dir.resolve("a.jsonl"), 16, 1), "fine-tune");
        String blocker = service.createJob(longJob(blockerFile));
        service.awaitStatus(blocker, "running", Duration.ofSeconds(60));
        String lostFile = service.uploadFile(SyntheticData.reversal(dir.resolve("b.jsonl"), 16, 2), "fine-tune");
        String job = service.createJob("{\"model\": \"lm-tiny\", \"training_file\": \"" + lostFile + "\"}");
        List<Path> stored = Trees.walk(dir.resolve("data")).stream()
                .filter(p -> p.getFileName().toString().startsWith(lostFile))
                .toList();
        assertThat(stored).isNotEmpty();
        for (Path p : stored) {
            Files.delete(p);
        }
        service.post("/v1/fine_tuning/jobs/" + blocker + "/cancel", "").expect(200);

        // every attempt fails on opening the missing file (NoSuchFileException, whose message is its path)
        JsonNode failed = service.awaitStatus(job, "failed", Duration.ofSeconds(120));
        assertThat(failed.get("error").get("code").asString()).isEqualTo("platform_error");
        String error = failed.get("error").get("message").asString();
        String events = service.get("/v1/fine_tuning/jobs/" + job + "/events?limit=100")
                .expect(200)
                .body();
        assertThat(events).contains("Attempt 1 failed", "NoSuchFileException");
        for (String text : List.of(error, events, failed.toString())) {
            assertThat(text)
                    .doesNotContain(dir.toString(), "/artifacts/", "tenants/default/files")
                    .doesNotContainPattern(ABSOLUTE_PATH);
        }
    }

    @Test
    void onlyAdminsSeeWhichWorkerRunsAJob() throws Exception {
        String host = InetAddress.getLocalHost().getHostName();
        JsonNode workers = service.get("/v1/workers").expect(200).json().get("data");
        assertThat(workers.get(0).get("host").asString()).isEqualTo(host);
        String workerId = workers.get(0).get("id").asString();

        BadInputTest.assertProblem(tenant.get("/v1/workers"), 403, null, "forbidden");

        String file = tenant.uploadFile(SyntheticData.reversal(dir.resolve("t.jsonl"), 16, 3), "fine-tune");
        String job = tenant.createJob(longJob(file));
        JsonNode running = tenant.awaitJob(
                job,
                j -> "running".equals(j.get("status").asString())
                        && j.get("progress").get("step").asInt() > 0,
                Duration.ofSeconds(60));
        assertThat(running.get("worker").isNull()).as(running.toString()).isTrue();
        assertThat(running.get("devices").get(0).asString()).isEqualTo("cpu");
        tenant.post("/v1/fine_tuning/jobs/" + job + "/cancel", "").expect(200);
        tenant.awaitJob(job, status("cancelled"), Duration.ofSeconds(60));
        List<String> messages = new ArrayList<>();
        tenant.get("/v1/fine_tuning/jobs/" + job + "/events?limit=100")
                .expect(200)
                .json()
                .get("data")
                .forEach(e -> messages.add(e.get("message").asString()));
        assertThat(messages).contains("Attempt 1 started (cpu)");
        // (a short host name such as "vm" may well occur inside a random id: the messages are what names things)
        assertThat(String.join("\n", messages))
                .doesNotContain(workerId)
                .doesNotContainPattern(Pattern.compile("\\b" + Pattern.quote(host) + "\\b"));

        // the admin's own job names its worker while it runs
        String adminFile = service.uploadFile(SyntheticData.reversal(dir.resolve("u.jsonl"), 16, 4), "fine-tune");
        String adminJob = service.createJob(longJob(adminFile));
        JsonNode adminView = service.awaitStatus(adminJob, "running", Duration.ofSeconds(60));
        assertThat(adminView.get("worker").asString()).isEqualTo(workerId);
        service.post("/v1/fine_tuning/jobs/" + adminJob + "/cancel", "").expect(200);
        service.awaitJob(adminJob, status("cancelled"), Duration.ofSeconds(60));
    }

    private static String longJob(String file) {
        return "{\"model\": \"lm-tiny\", \"training_file\": \"" + file
                + "\", \"hyperparameters\": {\"n_epochs\": 200}}";
    }
}
