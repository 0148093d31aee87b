package dev.sublinear.training.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sublinear.training.model.ModelArchive.InvalidArchiveException;
import dev.sublinear.training.model.PretrainedArchive.Extracted;
import dev.sublinear.training.model.PretrainedArchive.Limits;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives built here, byte by byte where a writer would refuse to make them (duplicate names, lying
 * sizes), since the point is what hostile or careless uploads do: each refusal must name the problem
 * and leave nothing in the target folder.
 */
class PretrainedArchiveTest {

    private static final long MB = 1 << 20;
    private static final Limits LIMITS = new Limits(50 * MB, 50 * MB, 10_000);
    private static final byte[] CONFIG = "{\"model_type\": \"gpt2\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path temp;

    private Path target() {
        return temp.resolve("model");
    }

    // ---- accepted archives ----

    @Test
    void flatZipKeepsModelFilesPrivately() throws Exception {
        byte[] weights = random(100_000, 1);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", CONFIG);
        files.put("model.safetensors", weights);
        files.put("tokenizer.json", bytes("{}"));
        Extracted extracted = extract(zip(files));
        assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json"), extracted.files());
        assertEquals(List.of(), extracted.skipped());
        assertEquals(CONFIG.length + weights.length + 2, extracted.bytes());
        assertArrayEquals(weights, Files.readAllBytes(target().resolve("model.safetensors")));
        assertArrayEquals(CONFIG, Files.readAllBytes(target().resolve("config.json")));
        if (Files.getFileStore(temp).supportsFileAttributeView("posix")) {
            assertEquals(
                    "rw-------",
                    PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(target().resolve("model.safetensors"))));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target())));
        }
    }

    @Test
    void zipOfTheFolderItselfHasItsFolderStripped() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("gpt2/", new byte[0]);
        files.put("gpt2/config.json", CONFIG);
        files.put("gpt2/model.safetensors", random(1000, 2));
        files.put("gpt2/README.md", bytes("# gpt2"));
        files.put("gpt2/onnx/", new byte[0]);
        files.put("gpt2/onnx/model.onnx", random(100, 3));
        files.put("__MACOSX/gpt2/._config.json", bytes("apple"));
        Extracted extracted = extract(zip(files));
        assertEquals(List.of("config.json", "model.safetensors"), extracted.files());
        assertEquals(
                List.of("gpt2/README.md", "gpt2/onnx/model.onnx", "__MACOSX/gpt2/._config.json"), extracted.skipped());
        assertEquals(List.of("config.json", "model.safetensors"), listing(target()));
    }

    @Test
    void tarGzWithShardsAndTokenizerFiles() throws Exception {
        byte[] shard1 = random(70_000, 4);
        byte[] shard2 = random(30_000, 5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = tarGz(out)) {
            directory(tar, "./");
            file(tar, "./config.json", CONFIG);
            file(tar, "./model-00001-of-00002.safetensors", shard1);
            file(tar, "./model-00002-of-00002.safetensors", shard2);
            file(tar, "./model.safetensors.index.json", bytes("{\"weight_map\": {}}"));
            file(tar, "./chat_template.jinja", bytes("{{ messages }}"));
            file(tar, "./added_tokens.json", bytes("{}"));
            file(tar, "./generation_config.json", bytes("{}"));
            file(tar, "./special_tokens_map.json", bytes("{}"));
            file(tar, "./tokenizer_config.json", bytes("{}"));
            file(tar, "./._config.json", bytes("apple double"));
        }
        Extracted extracted = extract(out.toByteArray());
        assertEquals(
                List.of(
                        "added_tokens.json",
                        "chat_template.jinja",
                        "config.json",
                        "generation_config.json",
                        "model-00001-of-00002.safetensors",
                        "model-00002-of-00002.safetensors",
                        "model.safetensors.index.json",
                        "special_tokens_map.json",
                        "tokenizer_config.json"),
                extracted.files());
        assertEquals(List.of("./._config.json"), extracted.skipped());
        assertArrayEquals(shard2, Files.readAllBytes(target().resolve("model-00002-of-00002.safetensors")));
    }

    @Test
    void commonExtrasAreSkippedAndListed() throws Exception {
        List<String> extras = List.of(
                "README.md",
                ".gitattributes",
                "LICENSE",
                "vocab.txt",
                "vocab.json",
                "merges.txt",
                "pytorch_model.bin",
                "tf_model.h5",
                "flax_model.msgpack",
                "model.onnx",
                "Config.json",
                "model-1-of-2.safetensors",
                "onnx/model.onnx",
                ".git/HEAD",
                ".git/objects/ab/cdef");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", CONFIG);
        for (String extra : extras) {
            files.put(extra, random(500, extra.hashCode()));
        }
        Extracted extracted = extract(zip(files));
        assertEquals(List.of("config.json"), extracted.files());
        assertEquals(extras, extracted.skipped());
        assertEquals(List.of("config.json"), listing(target()));
    }

    @Test
    void anEmptyTargetFolderThatExistsIsUsed() throws Exception {
        Files.createDirectories(target());
        extract(zip(Map.of("config.json", CONFIG)));
        assertEquals(List.of("config.json"), listing(target()));
    }

    @Test
    void aTargetFolderWithFilesIsNotTouched() throws Exception {
        Files.createDirectories(target());
        Files.writeString(target().resolve("keep"), "x");
        IOException e = assertThrows(
                IOException.class,
                () -> PretrainedArchive.extract(
                        new ByteArrayInputStream(zip(Map.of("config.json", CONFIG))), target(), LIMITS));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals(List.of("keep"), listing(target()));
    }

    // ---- refusals ----

    @Test
    void refusesAZipBombInAKeptFileEarly() throws Exception {
        byte[] bomb = zip(Map.of("config.json", CONFIG), "model.safetensors", 200 * MB);
        assertTrue(bomb.length < 500_000, "a bomb of " + bomb.length + " bytes");
        long start = System.nanoTime();
        assertRefused(bomb, LIMITS, "more than " + 50 * MB + " bytes");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 5, "took " + seconds + " s");
    }

    @Test
    void refusesAZipBombInASkippedFile() throws Exception {
        byte[] bomb = zip(Map.of("config.json", CONFIG), "pytorch_model.bin", 300 * MB);
        assertRefused(bomb, LIMITS, "counting the files it skips");
    }

    @Test
    void refusesATarGzBomb() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = tarGz(out)) {
            file(tar, "config.json", CONFIG);
            TarArchiveEntry entry = new TarArchiveEntry("model.safetensors");
            entry.setSize(200 * MB);
            tar.putArchiveEntry(entry);
            byte[] zeros = new byte[(int) MB];
            for (int i = 0; i < 200; i++) {
                tar.write(zeros);
            }
            tar.closeArchiveEntry();
        }
        assertTrue(out.size() < 1_000_000, "a bomb of " + out.size() + " bytes");
        assertRefused(out.toByteArray(), LIMITS, "more than " + 50 * MB + " bytes");
    }

    @Test
    void refusesAFileOverTheFileLimit() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", CONFIG);
        files.put("model.safetensors", random((int) (2 * MB), 6));
        assertRefused(zip(files), new Limits(50 * MB, MB, 100), "'model.safetensors' unpacks to more than " + MB);
    }

    @Test
    void refusesFilesOverTheTotalLimitTogether() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model-00001-of-00002.safetensors", random((int) MB, 7));
        files.put("model-00002-of-00002.safetensors", random((int) MB, 8));
        assertRefused(zip(files), new Limits(MB + MB / 2, MB, 100), "most they may take together");
    }

    @Test
    void sizesDeclaredInHeadersAreNotTrusted() throws Exception {
        // a local header that says 100 bytes for an entry that inflates to 60 MB
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        rawEntry(out, "config.json", CONFIG, false);
        rawEntry(out, "model.safetensors", new byte[(int) (60 * MB)], true, 100);
        assertRefused(out.toByteArray(), new Limits(50 * MB, 10 * MB, 100), "more than " + 10 * MB + " bytes");

        // and one that says more than there is
        out.reset();
        rawEntry(out, "config.json", CONFIG, true, 10 * MB);
        assertRefused(out.toByteArray(), LIMITS, "truncated or corrupt archive");
    }

    @Test
    void refusesTarLinksAndSpecialFiles() throws Exception {
        assertRefused(tarWith(link("config.json", TarConstants.LF_SYMLINK, "/etc/passwd")), "symbolic link");
        assertRefused(tarWith(link("model.safetensors", TarConstants.LF_LINK, "config.json")), "hard link");
        assertRefused(tarWith(link("README.md", TarConstants.LF_SYMLINK, "../../etc/shadow")), "symbolic link");
        assertRefused(tarWith(link("dev", TarConstants.LF_CHR, "")), "is a device");
        assertRefused(tarWith(link("blk", TarConstants.LF_BLK, "")), "is a device");
        assertRefused(tarWith(link("pipe", TarConstants.LF_FIFO, "")), "named pipe");
    }

    @Test
    void refusesPathsThatLeaveTheFolder() throws Exception {
        assertRefused(zip(Map.of("../evil", CONFIG)), "'../evil' goes up a folder");
        assertRefused(zip(Map.of("gpt2/../../config.json", CONFIG)), "goes up a folder");
        assertRefused(zip(Map.of("/etc/config.json", CONFIG)), "'/etc/config.json' has an absolute path");
        assertRefused(zip(Map.of("..\\evil", CONFIG)), "backslash");
        assertRefused(zip(Map.of("C:/model/config.json", CONFIG)), "drive letter");
        assertRefused(zip(Map.of("config.json\u0000.txt", CONFIG)), "'config.json\\u0000.txt' has a control character");
        assertRefused(zip(Map.of("config\n.json", CONFIG)), "control character");
        assertRefused(zip(Map.of("a".repeat(2000), CONFIG)), "longer than 1024 characters");
        assertRefused(tarWith(entry("../evil", CONFIG)), "'../evil' goes up a folder");
        assertRefused(tarWith(absolute("/tmp/config.json", CONFIG)), "absolute path");
        assertTrue(Files.notExists(temp.resolve("evil")));
        assertTrue(Files.notExists(temp.getParent().resolve("evil")));
    }

    @Test
    void refusesAKeptNameTwice() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        rawEntry(out, "config.json", CONFIG, true);
        rawEntry(out, "config.json", bytes("{\"evil\": true}"), true);
        assertRefused(out.toByteArray(), "config.json appears twice");

        Map<String, byte[]> dotted = new LinkedHashMap<>();
        dotted.put("config.json", CONFIG);
        dotted.put("./config.json", CONFIG);
        assertRefused(zip(dotted), "appears twice");

        assertRefused(
                tarWith(entry("model.safetensors", random(10, 1)), entry("model.safetensors", random(10, 2))),
                "model.safetensors appears twice");
    }

    @Test
    void refusesModelFilesInTwoPlaces() throws Exception {
        Map<String, byte[]> mixed = new LinkedHashMap<>();
        mixed.put("config.json", CONFIG);
        mixed.put("gpt2/model.safetensors", random(10, 1));
        assertRefused(zip(mixed), "two places, at its top level ('config.json') and in folder 'gpt2/'");

        Map<String, byte[]> folders = new LinkedHashMap<>();
        folders.put("a/config.json", CONFIG);
        folders.put("b/config.json", CONFIG);
        assertRefused(zip(folders), "in folder 'a/'");
    }

    @Test
    void refusesTooManyEntries() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", CONFIG);
        for (int i = 0; i < 10; i++) {
            files.put("extra/" + i, new byte[1]);
        }
        assertRefused(zip(files), new Limits(MB, MB, 10), "more than 10 entries");
    }

    @Test
    void refusesTruncatedArchives() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", CONFIG);
        files.put("model.safetensors", random(200_000, 9));
        byte[] zip = zip(files);
        assertRefused(Arrays.copyOf(zip, zip.length / 2), "truncated or corrupt archive");

        byte[] tarGz = tarWith(entry("config.json", CONFIG), entry("model.safetensors", random(200_000, 10)));
        assertRefused(Arrays.copyOf(tarGz, tarGz.length / 2), "truncated or corrupt archive");
        // only the gzip trailer (CRC, length) cut: every entry is whole, yet the archive is not
        assertRefused(Arrays.copyOf(tarGz, tarGz.length - 4), "truncated or corrupt archive");

        byte[] corrupted = tarGz.clone();
        corrupted[corrupted.length / 2] ^= 0x55;
        assertRefused(corrupted, "truncated or corrupt archive");
    }

    @Test
    void refusesWhatIsNotAnArchive() throws Exception {
        byte[] noise = random(10_000, 11);
        noise[0] = 'x';
        assertRefused(noise, "not a zip or tar.gz archive");
        assertRefused(bytes("{\"model_type\": \"gpt2\"}"), "not a zip or tar.gz archive");
        assertRefused(new byte[] {'P'}, "not a zip or tar.gz archive");

        ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(gzipped)) {
            gzip.write(random(10_000, 12));
        }
        assertRefused(gzipped.toByteArray(), "truncated or corrupt archive");
    }

    @Test
    void refusesEmptyArchivesAndArchivesWithoutModelFiles() throws Exception {
        assertRefused(new byte[0], "the archive is empty");
        assertRefused(zip(Map.of()), "the archive is empty");
        assertRefused(tarWith(), "the archive is empty");
        assertRefused(zip(Map.of("README.md", bytes("# hi"), "pytorch_model.bin", random(10, 1))), "no model files");
        assertRefused(zip(Map.of("gpt2/", new byte[0])), "no model files");
    }

    @Test
    void refusesAHugeTarLongName() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = tarGz(out)) {
            // a GNU long name record, as tar writes one before an entry with a long name (2 MB of it here)
            TarArchiveEntry longName = new TarArchiveEntry("././@LongLink", TarConstants.LF_GNUTYPE_LONGNAME);
            longName.setSize(2 * MB);
            tar.putArchiveEntry(longName);
            tar.write(bytes("a/".repeat((int) MB)));
            tar.closeArchiveEntry();
            file(tar, "config.json", CONFIG);
        }
        assertRefused(out.toByteArray(), "headers");
    }

    // ---- writing ----

    @Test
    void zipRoundTripGivesTheSameBytes() throws Exception {
        Path source = Files.createDirectories(temp.resolve("source"));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("tokenizer.json", bytes("{\"model\": {}}"));
        files.put("config.json", CONFIG);
        files.put("model.safetensors", random((int) (3 * MB), 13));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(source.resolve(file.getKey()), file.getValue());
        }
        Files.createDirectories(source.resolve("sub"));
        Files.writeString(source.resolve("sub/ignored"), "x");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PretrainedArchive.zip(source, out);
        List<String> names = new ArrayList<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                names.add(entry.getName());
                int method = entry.getName().endsWith(".safetensors") ? ZipEntry.STORED : ZipEntry.DEFLATED;
                assertEquals(method, entry.getMethod(), entry.getName());
            }
        }
        assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json"), names);

        Extracted extracted = extract(out.toByteArray());
        assertEquals(names, extracted.files());
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            assertArrayEquals(file.getValue(), Files.readAllBytes(target().resolve(file.getKey())), file.getKey());
        }
    }

    // ---- helpers ----

    private Extracted extract(byte[] archive) throws IOException {
        return PretrainedArchive.extract(new ByteArrayInputStream(archive), target(), LIMITS);
    }

    private void assertRefused(byte[] archive, String message) throws IOException {
        assertRefused(archive, LIMITS, message);
    }

    private void assertRefused(byte[] archive, Limits limits, String message) throws IOException {
        InvalidArchiveException e = assertThrows(
                InvalidArchiveException.class,
                () -> PretrainedArchive.extract(new ByteArrayInputStream(archive), target(), limits));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(Files.notExists(target()) || listing(target()).isEmpty(), () -> "left behind in " + target());
    }

    private static List<String> listing(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] zip(Map<String, byte[]> files) throws IOException {
        return zip(files, null, 0);
    }

    /** A zip of {@code files}, then, when {@code zerosName} is given, that many zeros under that name. */
    private static byte[] zip(Map<String, byte[]> files, String zerosName, long zeros) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.setLevel(Deflater.BEST_COMPRESSION);
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(file.getKey()));
                zip.write(file.getValue());
                zip.closeEntry();
            }
            if (zerosName != null) {
                zip.putNextEntry(new ZipEntry(zerosName));
                byte[] chunk = new byte[(int) MB];
                for (long written = 0; written < zeros; written += chunk.length) {
                    zip.write(chunk);
                }
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    private static void rawEntry(OutputStream out, String name, byte[] data, boolean deflate) throws IOException {
        rawEntry(out, name, data, deflate, data.length);
    }

    /**
     * A zip entry's local header and data, written by hand so that it may say what a writer would not
     * (a size that is not the data's, a name used before); no central directory is needed to read it.
     */
    private static void rawEntry(OutputStream out, String name, byte[] data, boolean deflate, long declaredSize)
            throws IOException {
        byte[] stored = data;
        if (deflate) {
            ByteArrayOutputStream deflated = new ByteArrayOutputStream();
            try (DeflaterOutputStream stream =
                    new DeflaterOutputStream(deflated, new Deflater(Deflater.BEST_COMPRESSION, true))) {
                stream.write(data);
            }
            stored = deflated.toByteArray();
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer header = ByteBuffer.allocate(30).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0x04034b50)
                .putShort((short) 20)
                .putShort((short) 0x0800) // UTF-8 names, sizes in this header
                .putShort((short) (deflate ? 8 : 0))
                .putShort((short) 0)
                .putShort((short) 0x21)
                .putInt((int) crc.getValue())
                .putInt(stored.length)
                .putInt((int) declaredSize)
                .putShort((short) nameBytes.length)
                .putShort((short) 0);
        out.write(header.array());
        out.write(nameBytes);
        out.write(stored);
    }

    private static TarArchiveOutputStream tarGz(OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out), "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        return tar;
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(data.length);
        tar.putArchiveEntry(entry);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
        tar.putArchiveEntry(new TarArchiveEntry(name));
        tar.closeArchiveEntry();
    }

    private static TarArchiveEntry entry(String name, byte[] data) {
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setSize(data.length);
        return entry;
    }

    private static TarArchiveEntry absolute(String name, byte[] data) {
        return entry(name, data);
    }

    private static TarArchiveEntry link(String name, byte type, String target) {
        TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
        entry.setLinkName(target);
        return entry;
    }

    /** A tar.gz of entries whose data are their sizes' worth of random bytes (links and others: none). */
    private static byte[] tarWith(TarArchiveEntry... entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = tarGz(out)) {
            tar.setAddPaxHeadersForNonAsciiNames(true);
            int seed = 0;
            for (TarArchiveEntry entry : entries) {
                tar.putArchiveEntry(entry);
                if (entry.isFile() && entry.getSize() > 0) {
                    tar.write(random((int) entry.getSize(), seed++));
                }
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }
}
