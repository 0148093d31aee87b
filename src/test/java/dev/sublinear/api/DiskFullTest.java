package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The data directory (embedded database and artifacts) on a small tmpfs that fills up: writes are
 * refused with 507 instead of acknowledged and lost, health says DOWN, and once space is freed the
 * service writes again by itself; after a restart every acknowledged write is there. Needs root to
 * mount the tmpfs (as in CI and the development container); skipped where mounting is refused.
 */
class DiskFullTest {

    @TempDir
    Path dir;

    @Test
    void aFullDiskRefusesWritesWith507ReportsDownAndRecoversWhenSpaceReturns() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        String refused = mount(data);
        Assumptions.assumeTrue(refused == null, () -> "cannot mount a tmpfs here (needs root): " + refused);
        try {
            String before;
            String after;
            try (RunningService service = RunningService.start(data, null)) {
                service.post("/v1/admin/tenants", "{\"id\": \"before\"}").expect(201);
                before = newKey(service, "before");

                Path filler = data.resolve("filler");
                fill(filler);
                for (int i = 0; i < 3; i++) {
                    BadInputTest.assertProblem(
                            service.post("/v1/admin/tenants", "{\"id\": \"during-" + i + "\"}"),
                            507,
                            null,
                            "insufficient_storage");
                }
                BadInputTest.assertProblem(
                        service.post("/v1/admin/tenants/before/keys", "{\"name\": \"during\"}"),
                        507,
                        null,
                        "insufficient_storage");
                awaitStatus(service, "/actuator/health/readiness", 503);
                awaitStatus(service, "/actuator/health", 503);
                // the database reopens for reading while the disk is still full
                awaitStatus(service, "/v1/admin/tenants", 200);

                Files.delete(filler);
                awaitStatus(service, "/actuator/health/readiness", 200);
                awaitStatus(service, "/actuator/health", 200);
                service.post("/v1/admin/tenants", "{\"id\": \"after\"}").expect(201);
                after = newKey(service, "after");
                service.as(after).get("/v1/files").expect(200);
            }
            try (RunningService again = RunningService.start(data, null)) {
                List<String> tenants = new ArrayList<>();
                again.get("/v1/admin/tenants")
                        .expect(200)
                        .json()
                        .get("data")
                        .forEach(t -> tenants.add(t.get("id").asString()));
                assertThat(tenants).contains("before", "after").noneMatch(t -> t.startsWith("during"));
                again.as(before).get("/v1/files").expect(200);
                again.as(after).get("/v1/files").expect(200);
                JsonNode keys = again.get("/v1/admin/tenants/before/keys")
                        .expect(200)
                        .json()
                        .get("data");
                assertThat(keys.size()).isEqualTo(1);
            }
        } finally {
            run("umount", "-l", data.toString());
        }
    }

    private static String newKey(ServiceClient service, String tenant) {
        return service.post("/v1/admin/tenants/" + tenant + "/keys", "{\"name\": \"k\"}")
                .expect(201)
                .json()
                .get("secret")
                .asString();
    }

    /** Writes until the file system is full, to its last block. */
    private static void fill(Path file) {
        byte[] block = new byte[4096];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left on device");
        }
    }

    private static void awaitStatus(ServiceClient service, String path, int status) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        ServiceClient.Response last;
        do {
            last = service.get(path);
            if (last.status() == status) {
                return;
            }
            ServiceClient.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(
                path + " did not answer " + status + " within 15 s; last: " + last.status() + " " + last.body());
    }

    /** Mounts a 64 MiB tmpfs; returns null, or why it could not. */
    private static String mount(Path at) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", at.toString())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            return e.getMessage(); // no mount command
        }
        String out = new String(p.getInputStream().readAllBytes());
        return p.waitFor() == 0 ? null : out.trim();
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", command), out).isZero();
    }
}
