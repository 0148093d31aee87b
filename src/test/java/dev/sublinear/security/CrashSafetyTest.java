package dev.sublinear.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.ServiceProcess;
import dev.sublinear.testing.Trees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded defaults against crashes and neighbours, on the service in its own process (H2):
 * nothing but the HTTP port listens, the data directory is private, a 2xx survives kill -9, a
 * killed upload leaves no spool file behind, and a large upload is validated in flat memory.
 */
class CrashSafetyTest {

    @TempDir
    Path dir;

    @Test
    void nothingButTheHttpPortListensAndTheDataDirectoryIsPrivate() throws Exception {
        Path data = dir.resolve("data");
        try (ServiceProcess service = ServiceProcess.start(data, null)) {
            String url = service.awaitUrl(Duration.ofSeconds(240));
            ServiceClient client = new ServiceClient(url);
            client.post("/v1/admin/tenants", "{\"id\": \"acme\"}").expect(201);
            int httpPort = Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
            assertThat(listeningPorts(service.pid()))
                    .as("TCP ports the service listens on")
                    .containsExactly(httpPort);

            assertThat(Files.getPosixFilePermissions(data)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
            for (Path p : Trees.walk(data)) {
                if (!Files.exists(p)) {
                    continue; // a temporary file gone since the walk
                }
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                        .as(p.toString())
                        .isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
    }

    @Test
    void acknowledgedWritesSurviveKillNine() throws Exception {
        Path data = dir.resolve("data");
        List<String> tenants = new ArrayList<>();
        String kept;
        String revoked;
        try (ServiceProcess service = ServiceProcess.start(data, null)) {
            ServiceClient admin = new ServiceClient(service.awaitUrl(Duration.ofSeconds(240)));
            revoked = admin.post("/v1/admin/tenants/default/keys", "{\"name\": \"old\"}")
                    .expect(201)
                    .json()
                    .get("id")
                    .asString();
            String revokedSecret = null;
            for (int i = 0; i < 5; i++) {
                admin.post("/v1/admin/tenants", "{\"id\": \"t" + i + "\"}").expect(201);
                tenants.add("t" + i);
            }
            kept = admin.post("/v1/admin/tenants/t4/keys", "{\"name\": \"new\"}")
                    .expect(201)
                    .json()
                    .get("secret")
                    .asString();
            admin.delete("/v1/admin/keys/" + revoked).expect(200);
            service.kill(); // at once: whatever was answered 2xx must be on disk now
            assertThat(revokedSecret).isNull();
        }
        try (ServiceProcess service = ServiceProcess.start(data, null)) {
            ServiceClient admin = new ServiceClient(service.awaitUrl(Duration.ofSeconds(240)));
            for (String t : tenants) {
                admin.get("/v1/admin/tenants/" + t).expect(200);
            }
            admin.as(kept).get("/v1/files").expect(200);
            assertThat(admin.get("/v1/admin/tenants/default/keys")
                            .expect(200)
                            .json()
                            .get("data")
                            .valueStream()
                            .filter(k -> k.get("id").asString().equals(revoked))
                            .findFirst()
                            .orElseThrow()
                            .get("revoked_at")
                            .isNull())
                    .as("the revocation survived")
                    .isFalse();
        }
    }

    @Test
    void aKilledUploadLeavesNoSpoolFileOutsideTheDataDirectory() throws Exception {
        Path data = dir.resolve("data");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        try (ServiceProcess service =
                ServiceProcess.start(data, null, List.of(), List.of("-Xmx1g", "-Djava.io.tmpdir=" + tmp))) {
            String url = service.awaitUrl(Duration.ofSeconds(240));
            int port = Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
            try (Socket socket = new Socket("127.0.0.1", port)) {
                OutputStream out = socket.getOutputStream();
                String boundary = "b0undary";
                String head =
                        "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
                                + "--" + boundary
                                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n"
                                + "Content-Type: application/octet-stream\r\n\r\n";
                long length = 64L << 20;
                out.write(("POST /v1/files HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                                + ServiceClient.ADMIN_KEY
                                + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: "
                                + (head.length() + length) + "\r\n\r\n" + head)
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] line = "{\"text\": \"some training text for a crash test\"}\n".getBytes(StandardCharsets.UTF_8);
                byte[] chunk = new byte[line.length * 1000];
                for (int i = 0; i < 1000; i++) {
                    System.arraycopy(line, 0, chunk, i * line.length, line.length);
                }
                for (long sent = 0; sent < 8L << 20; sent += chunk.length) {
                    out.write(chunk);
                }
                out.flush();
                Thread.sleep(1000); // the service has read and written what it got
                service.kill();
            }
            assertThat(largeFiles(tmp))
                    .as("files the killed upload left in java.io.tmpdir")
                    .isEmpty();
        }
    }

    @Test
    void aLargeUploadIsValidatedInFlatMemory() throws Exception {
        // 320 MB of examples against a 192 MB heap: kept in memory, they would not fit
        try (ServiceProcess service = ServiceProcess.start(
                dir.resolve("data"), null, List.of(), List.of("-Xmx192m"), "--sublinear.roles=api")) {
            ServiceClient client = new ServiceClient(service.awaitUrl(Duration.ofSeconds(240)));
            byte[] line = "{\"text\": \"a line of training text that is long enough to count\"}\n"
                    .getBytes(StandardCharsets.UTF_8);
            long lines = (320L << 20) / line.length;
            ServiceClient.Response r =
                    client.uploadStream("big.jsonl", "fine-tune", lines * line.length, () -> new InputStream() {
                        long position;

                        @Override
                        public int read() {
                            return position >= lines * line.length ? -1 : line[(int) (position++ % line.length)];
                        }

                        @Override
                        public int read(byte[] b, int off, int len) {
                            long left = lines * line.length - position;
                            if (left <= 0) {
                                return -1;
                            }
                            int n = (int) Math.min(len, left);
                            for (int i = 0; i < n; i++) {
                                b[off + i] = line[(int) (position++ % line.length)];
                            }
                            return n;
                        }
                    });
            assertThat(r.status()).as(r.body()).isEqualTo(201);
            assertThat(r.json().get("bytes").asLong()).isEqualTo(lines * line.length);
            assertThat(service.alive()).isTrue();
        }
    }

    private static List<Path> largeFiles(Path root) throws IOException {
        return Trees.walk(root).stream()
                .filter(Files::isRegularFile)
                .filter(p -> p.toFile().length() > 1 << 20)
                .toList();
    }

    /** The TCP ports a process listens on, from /proc: its socket inodes in the LISTEN state. */
    static Set<Integer> listeningPorts(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            Path file = Path.of("/proc", Long.toString(pid), "net", table);
            if (!Files.exists(file)) {
                continue;
            }
            for (String row :
                    Files.readAllLines(file).subList(1, Files.readAllLines(file).size())) {
                String[] f = row.trim().split("\\s+");
                if ("0A".equals(f[3]) && inodes.contains(f[9])) {
                    ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }
}
