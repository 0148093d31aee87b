package dev.sublinear.training.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed files and sets are refused when opened, before any data is read, naming the file and the key. */
class SafetensorsValidationTest {

    @TempDir
    Path folder;

    @Test
    void aTruncatedFileIsRefusedNamingTheTensorThatNoLongerFits() throws IOException {
        Path file = folder.resolve("model.safetensors");
        new SafetensorsWriter(WeightType.F32)
                .add("a", 4)
                .add("b", 4)
                .writeFile(file, name -> FloatBuffer.wrap(new float[4]));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 1);
        }
        assertRefused(file, "b", "past the end of the data section");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(5);
        }
        assertRefused(file, null, "shorter than the 8-byte header length");
    }

    @Test
    void aHeaderLengthPastTheEndIsRefused() throws IOException {
        Path file = folder.resolve("long.safetensors");
        ByteBuffer bytes =
                ByteBuffer.allocate(100).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        Files.write(file, bytes.array());
        assertRefused(file, null, "header length 1000 does not fit a file of 100 bytes");
        Files.write(
                file,
                ByteBuffer.allocate(100)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(-1)
                        .array());
        assertRefused(file, null, "header length 18446744073709551615 does not fit");
    }

    @Test
    void offsetsPastTheEndAreRefused() throws IOException {
        Path file = write("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 16);
        assertRefused(file, "w", "data_offsets [8, 24] go past the end of the data section (16 bytes)");
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        Path file = write(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[8,16]}}",
                16);
        assertRefused(file, "b", "overlaps the bytes of \"a\"");
    }

    @Test
    void aTenGigabyteTensorInAOneKilobyteFileIsRefusedWithoutAllocatingIt() throws IOException {
        String header = "{\"huge\":{\"dtype\":\"F32\",\"shape\":[2684354560],\"data_offsets\":[0,10737418240]}}";
        Path file = write(header, 1024 - 8 - header.length());
        assertEquals(1024, Files.size(file));
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertRefused(file, "huge", "data_offsets [0, 10737418240] go past the end of the data section");
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 16 << 20, allocated + " bytes allocated to refuse it");
    }

    @Test
    void anUnknownDtypeIsRefused() throws IOException {
        Path file = write("{\"w\":{\"dtype\":\"F33\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16);
        assertRefused(file, "w", "unknown dtype \"F33\"");
    }

    @Test
    void duplicateKeysAreRefused() throws IOException {
        String tensor = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertRefused(write("{\"w\":" + tensor + ",\"w\":" + tensor + "}", 4), "w", "appears twice in the header");
        assertRefused(
                write("{\"__metadata__\":{},\"w\":" + tensor + ",\"__metadata__\":{}}", 4),
                "__metadata__",
                "appears twice in the header");
        assertRefused(
                write("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "w",
                "has dtype twice");
        assertRefused(
                write("{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"},\"w\":" + tensor + "}", 4),
                "__metadata__",
                "holds \"format\" twice");
    }

    @Test
    void aShapeThatDisagreesWithTheByteLengthIsRefused() throws IOException {
        Path file = write("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", 16);
        assertRefused(file, "w", "shape [2, 3] of BF16 is 12 bytes, but data_offsets hold 16");
        Path overflowing =
                write("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", 16);
        assertRefused(overflowing, "w", "more elements than a long counts");
    }

    @Test
    void malformedHeadersAreRefused() throws IOException {
        assertRefused(write("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],}", 4), "w", "header is not valid JSON");
        assertRefused(write("[1, 2]", 0), null, "expected a JSON object as the header");
        assertRefused(write("{} {}", 0), null, "text after its JSON object");
        assertRefused(write("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "w", "negative");
        assertRefused(write("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "w", "whole");
        assertRefused(
                write("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "w", "needs dtype, shape and data_offsets");
        assertRefused(write("{\"__metadata__\":{\"n\":1}}", 0), "__metadata__", "expected a string");
        Path invalidUtf8 = folder.resolve("utf8.safetensors");
        ByteBuffer bytes =
                ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(4);
        bytes.put(new byte[] {'{', (byte) 0xC3, '}', ' '});
        Files.write(invalidUtf8, bytes.array());
        assertRefused(invalidUtf8, null, "not valid UTF-8");
    }

    @Test
    void aTensorThatIsNotFloatingPointIsListedButNotReadAsFloat32() throws IOException {
        Path file = write("{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(WeightType.I64, reader.tensor("ids").type());
            WeightFileException e = assertThrows(WeightFileException.class, () -> reader.readFloats("ids"));
            assertEquals("ids", e.key());
        }
    }

    @Test
    void anIndexNamingAMissingShardIsRefused() throws IOException {
        Path shard = folder.resolve("model-00001-of-00002.safetensors");
        new SafetensorsWriter(WeightType.F32).add("a", 2).writeFile(shard, name -> FloatBuffer.wrap(new float[2]));
        Path index = index("{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}");
        assertRefused(index, "b", "is in shard model-00002-of-00002.safetensors, which is missing");
    }

    @Test
    void anIndexNamingATensorItsShardLacksIsRefused() throws IOException {
        Path shard = folder.resolve("model-00001-of-00001.safetensors");
        new SafetensorsWriter(WeightType.F32).add("a", 2).writeFile(shard, name -> FloatBuffer.wrap(new float[2]));
        Path index = index("{\"a\":\"model-00001-of-00001.safetensors\",\"c\":\"model-00001-of-00001.safetensors\"}");
        assertRefused(index, shard, "c", "the index places it in this shard, which does not hold it");
    }

    @Test
    void anIndexIsCheckedAsJsonAndAsFileNames() throws IOException {
        assertRefused(index("{\"a\":\"../model.safetensors\"}"), "a", "not a file in this folder");
        assertRefused(index("{\"a\":\"x.safetensors\",\"a\":\"y.safetensors\"}"), "a", "appears twice in weight_map");
        Path index = folder.resolve(SafetensorsReader.INDEX_FILE);
        Files.writeString(index, "{\"metadata\":{}}");
        assertRefused(index, "weight_map", "is missing");
        Files.writeString(index, "{\"weight_map\":{\"a\":");
        assertRefused(index, "a", "is not valid JSON");
    }

    private Path write(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(json.length).put(json);
        Path file = Files.createTempFile(folder, "case", ".safetensors");
        Files.write(file, bytes.array());
        return file;
    }

    private Path index(String weightMap) throws IOException {
        Path index = folder.resolve(SafetensorsReader.INDEX_FILE);
        Files.writeString(index, "{\"metadata\":{\"total_size\":8},\"weight_map\":" + weightMap + "}");
        return index;
    }

    private static void assertRefused(Path file, String key, String problem) {
        assertRefused(file, file, key, problem);
    }

    private static void assertRefused(Path opened, Path file, String key, String problem) {
        WeightFileException e = assertThrows(WeightFileException.class, () -> {
            try (SafetensorsReader reader = SafetensorsReader.open(opened)) {
                reader.names();
            }
        });
        assertEquals(file, e.file(), e.getMessage());
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        if (key != null) {
            assertTrue(e.getMessage().contains("\"" + key + "\""), e.getMessage());
        }
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }
}
