package dev.sublinear.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelArchive;
import dev.sublinear.training.model.ModelCatalog;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelArchiveTest {

    @TempDir
    Path dir;

    @Test
    void archiveRoundTripGivesTheSameModel() throws Exception {
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        Map<String, Float> before;
        try (LoadedModel model = LoadedModel.create(
                ModelCatalog.get("cls-tiny", List.of("no", "yes")).orElseThrow(), 3, Device.cpu())) {
            before = model.classify("hello");
            ModelArchive.write(model, archive);
        }
        ModelArchive.extract(new ByteArrayInputStream(archive.toByteArray()), dir.resolve("m"), 1L << 30);
        try (LoadedModel loaded = LoadedModel.load(dir.resolve("m"), Device.cpu())) {
            Map<String, Float> after = loaded.classify("hello");
            assertEquals(before.keySet(), after.keySet());
            assertArrayEquals(
                    new float[] {before.get("no"), before.get("yes")},
                    new float[] {after.get("no"), after.get("yes")},
                    0f);
        }
    }

    @Test
    void refusesPathTraversal() throws Exception {
        assertRefused(zip("../evil", "x"), "entry '../evil' goes up a folder");
        assertRefused(zip("/etc/passwd", "x"), "'/etc/passwd'");
        assertRefused(zip("sub/config.json", "{}"), "missing model.params");
        assertTrue(Files.notExists(dir.getParent().resolve("evil")));
    }

    @Test
    void refusesZipBombsMissingEntriesAndGarbage() throws Exception {
        byte[] big = new byte[2_000_000]; // compresses to a few KB
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("model.params"));
            z.write(big);
            z.closeEntry();
        }
        InvalidArchive e = refuse(out.toByteArray(), 1_000_000);
        assertTrue(e.message.contains("unpacks to more than 1000000 bytes"), e.message);
        assertRefused(zip("config.json", "{}"), "missing model.params");
        assertRefused("not a zip at all".getBytes(StandardCharsets.UTF_8), "not a zip or tar.gz archive");
        assertRefused(
                zip2("config.json", "{\"task\": \"CAUSAL_LM\"}", "model.params", "x"),
                "not a valid model configuration");
    }

    @Test
    void theLimitCountsBothEntriesInEitherOrder() throws Exception {
        String params = "p".repeat(100);
        String config = "{\"task\": \"CAUSAL_LM\"}";
        long both = params.length() + config.length();
        for (byte[] archive : List.of(
                zip2("config.json", config, "model.params", params),
                zip2("model.params", params, "config.json", config))) {
            InvalidArchive e = refuse(archive, both - 1);
            assertTrue(e.message.contains("unpack to more than " + (both - 1) + " bytes"), e.message);
            // within the limit, what stops it is the configuration, not the size
            assertTrue(refuse(archive, both).message.contains("not a valid model configuration"));
        }
    }

    private record InvalidArchive(String message) {}

    private InvalidArchive refuse(byte[] archive, long limit) {
        ModelArchive.InvalidArchiveException e = assertThrows(
                ModelArchive.InvalidArchiveException.class,
                () -> ModelArchive.extract(
                        new ByteArrayInputStream(archive), Files.createTempDirectory(dir, "x"), limit));
        return new InvalidArchive(e.getMessage());
    }

    private void assertRefused(byte[] archive, String expected) {
        String message = refuse(archive, 1L << 30).message();
        assertTrue(message.contains(expected), message);
    }

    private static byte[] zip(String name, String content) throws Exception {
        return zip2(name, content, null, null);
    }

    private static byte[] zip2(String name, String content, String name2, String content2) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry(name));
            z.write(content.getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
            if (name2 != null) {
                z.putNextEntry(new ZipEntry(name2));
                z.write(content2.getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
