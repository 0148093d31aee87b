package dev.sublinear.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileSystemArtifactStoreTest {

    @TempDir
    Path root;

    @Test
    void listingWhileOthersWriteAndDeleteNeverFails() throws Exception {
        ArtifactStore store = new FileSystemArtifactStore(root.resolve("artifacts"));
        store.put("jobs/j1/checkpoints/step-00000001", new ByteArrayInputStream(new byte[8]), 1000);
        store.put("jobs/j1/checkpoints/step-00000002", new ByteArrayInputStream(new byte[8]), 1000);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        Thread writer = new Thread(() -> {
            try {
                // another worker's models and temporary files appearing and vanishing beside the listing
                for (int i = 0; writing.get(); i++) {
                    store.put("models/m-" + i, new ByteArrayInputStream(new byte[32 * 1024]), 1 << 20);
                    store.delete("models/m-" + (i - 1));
                    written.incrementAndGet();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        writer.start();
        try {
            long end = System.nanoTime() + 1_500_000_000L;
            int listings = 0;
            while (System.nanoTime() < end) {
                store.list("");
                store.list("models/");
                assertEquals(
                        List.of("jobs/j1/checkpoints/step-00000001", "jobs/j1/checkpoints/step-00000002"),
                        store.list("jobs/j1/checkpoints/step-").stream()
                                .map(ArtifactInfo::key)
                                .toList());
                listings++;
            }
            assertTrue(listings > 10 && written.get() > 10, listings + " listings, " + written + " writes");
        } finally {
            writing.set(false);
            writer.join();
        }
    }

    @Test
    void storesReadsListsAndDeletes() throws Exception {
        ArtifactStore store = new FileSystemArtifactStore(root.resolve("artifacts"));
        byte[] content = "hello artifacts".getBytes(StandardCharsets.UTF_8);
        ArtifactInfo info = store.put("tenant-1/files/file-abc.jsonl", new ByteArrayInputStream(content), 1000);
        assertEquals(content.length, info.bytes());
        assertEquals(
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)), info.sha256());
        try (InputStream in = store.open("tenant-1/files/file-abc.jsonl")) {
            assertArrayEquals(content, in.readAllBytes());
        }
        store.put("tenant-1/files/file-def.jsonl", new ByteArrayInputStream(new byte[3]), 1000);
        ArtifactInfo written = store.write("tenant-2/files/file-xyz.jsonl", out -> out.write(new byte[5]), 1000);
        assertEquals(5, written.bytes());
        assertEquals(written, store.info("tenant-2/files/file-xyz.jsonl").orElseThrow());
        assertEquals(
                List.of("tenant-1/files/file-abc.jsonl", "tenant-1/files/file-def.jsonl"),
                store.list("tenant-1/").stream().map(ArtifactInfo::key).toList());
        assertEquals(
                info.sha256(),
                store.info("tenant-1/files/file-abc.jsonl").orElseThrow().sha256());
        assertTrue(store.delete("tenant-1/files/file-abc.jsonl"));
        assertFalse(store.delete("tenant-1/files/file-abc.jsonl"));
        assertTrue(store.info("tenant-1/files/file-abc.jsonl").isEmpty());
        assertThrows(NoSuchFileException.class, () -> store.open("tenant-1/files/file-abc.jsonl"));
        assertTrue(store.writable());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "../escape",
                "a/../../escape",
                "/etc/passwd",
                "a//b",
                "",
                ".hidden",
                "a/b/",
                "a\\b",
                "x.sha256",
                "-dash",
                "a/ b"
            })
    void refusesKeysThatCouldEscapeOrCollide(String key) throws Exception {
        ArtifactStore store = new FileSystemArtifactStore(root.resolve("artifacts"));
        assertThrows(IllegalArgumentException.class, () -> store.put(key, new ByteArrayInputStream(new byte[1]), 10));
        assertTrue(Files.notExists(root.resolve("escape")));
    }

    @Test
    void tooLargeOrFailedWritesLeaveNothingAndKeepThePreviousVersion() throws Exception {
        ArtifactStore store = new FileSystemArtifactStore(root.resolve("artifacts"));
        store.put("models/m.params", new ByteArrayInputStream(new byte[] {1, 2, 3}), 10);
        assertThrows(
                ArtifactTooLargeException.class,
                () -> store.put("models/m.params", new ByteArrayInputStream(new byte[11]), 10));
        InputStream failing = new InputStream() {
            private int left = 5;

            @Override
            public int read() throws IOException {
                if (left-- == 0) {
                    throw new IOException("connection reset");
                }
                return 7;
            }
        };
        assertThrows(IOException.class, () -> store.put("models/m.params", failing, 100));
        assertThrows(
                ArtifactTooLargeException.class,
                () -> store.write(
                        "models/m.params",
                        out -> {
                            out.write(new byte[6]);
                            out.write(new byte[5]);
                        },
                        10));
        try (InputStream in = store.open("models/m.params")) {
            assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes(), "the previous version is intact");
        }
        try (Stream<Path> files = Files.list(root.resolve("artifacts/models"))) {
            assertEquals(
                    List.of("m.params", "m.params.sha256"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files left");
        }
    }
}
