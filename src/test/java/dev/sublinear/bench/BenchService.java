package dev.sublinear.bench;

import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.ServiceProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import tools.jackson.databind.JsonNode;

/** What the harnesses that drive a service process over HTTP share. */
final class BenchService {

    private BenchService() {}

    /** The answer's JSON, or an IllegalStateException naming {@code what} when the status is not {@code expected}. */
    static JsonNode json(ServiceClient.Response response, int expected, String what) {
        if (response.status() != expected) {
            throw new IllegalStateException(what + ": HTTP " + response.status() + ": " + response.body());
        }
        return response.json();
    }

    /** Waits up to 3 minutes for the service's readiness; fails with its log when it does not come. */
    static void awaitReady(ServiceClient client, ServiceProcess service) throws IOException {
        awaitReady(client, service, Duration.ofMinutes(3));
    }

    /** Waits up to {@code limit} for the service's readiness; fails with its log when it does not come. */
    static void awaitReady(ServiceClient client, ServiceProcess service, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline && service.alive()) {
            try {
                if (client.get("/actuator/health/readiness").status() == 200) {
                    return;
                }
            } catch (IllegalStateException notYet) {
                // connection refused while the process starts
            }
            ServiceClient.sleep(250);
        }
        throw new IllegalStateException("the service did not become ready:\n" + Files.readString(service.log()));
    }

    /**
     * The directory's files in {@code folder} of a zip, stored without compression (random weights do
     * not compress).
     */
    static Path zip(Path directory, String folder, Path target) throws IOException {
        try (OutputStream out = Files.newOutputStream(target);
                ZipOutputStream zip = new ZipOutputStream(out);
                Stream<Path> files = Files.list(directory)) {
            zip.setLevel(Deflater.NO_COMPRESSION);
            for (Path file : files.sorted().toList()) {
                zip.putNextEntry(new ZipEntry(folder + "/" + file.getFileName()));
                Files.copy(file, zip);
                zip.closeEntry();
            }
        }
        return target;
    }
}
