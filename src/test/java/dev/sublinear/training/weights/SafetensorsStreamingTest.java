package dev.sublinear.training.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files larger than the reader's and the writer's buffers pass through them: reading a tensor
 * allocates its floats and little more, reading into a caller's buffer allocates next to nothing,
 * writing allocates the writer's buffer whatever the size of the model. Allocation is counted per
 * thread by the JVM ({@code getCurrentThreadAllocatedBytes}), so the bounds hold on a loaded machine.
 */
class SafetensorsStreamingTest {

    private static final int TENSORS = 6;
    private static final int ELEMENTS = 1 << 20; // 4 MiB as F32, four times the reader's buffer
    private static final long SLACK = 256 << 10;

    private final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void aLargeFileIsReadOneTensorAtATimeThroughOneBuffer(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("large.safetensors");
        FloatBuffer reused = FloatBuffer.allocate(ELEMENTS);
        SafetensorsWriter writer = new SafetensorsWriter(WeightType.F32);
        for (int t = 0; t < TENSORS; t++) {
            writer.add("layer." + t, 1024, ELEMENTS / 1024);
        }
        long before = allocated();
        writer.writeFile(file, name -> fill(reused, name, ELEMENTS));
        long writing = allocated() - before;
        long tensorBytes = (long) ELEMENTS * Float.BYTES;
        assertTrue(Files.size(file) > TENSORS * tensorBytes);
        assertTrue(writing < 4L << 20, writing + " bytes allocated to write " + Files.size(file));

        FloatBuffer direct = ByteBuffer.allocateDirect(ELEMENTS * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            reader.readFloats("layer.0"); // loads the classes a read uses before anything is counted
            for (String name : reader.names()) {
                before = allocated();
                float[] values = reader.readFloats(name);
                long reading = allocated() - before;
                assertTrue(reading >= tensorBytes && reading < tensorBytes + SLACK, reading + " bytes for " + name);
                assertEquals(expected(name, ELEMENTS - 1), values[ELEMENTS - 1]);
                assertEquals(expected(name, 12345), values[12345]);

                direct.clear();
                before = allocated();
                reader.read(name, direct);
                long intoBuffer = allocated() - before;
                assertTrue(intoBuffer < SLACK, intoBuffer + " bytes to read " + name + " into a buffer");
                assertEquals(expected(name, 777), direct.get(777));
            }
        }
    }

    @Test
    void aModelPastTheShardSizeIsShardedAndReadBackThroughItsIndex(@TempDir Path folder) throws IOException {
        FloatBuffer reused = FloatBuffer.allocate(2000);
        SafetensorsWriter writer = new SafetensorsWriter(WeightType.BF16).maxShardBytes(4000);
        // a, b and c fill the first shard exactly; big passes the limit alone; d starts a third
        writer.add("a", 1000)
                .add("b", 500)
                .add("c", 500)
                .add("big", WeightType.F32, 1200)
                .add("d", 10);
        List<Path> written = writer.write(folder, name -> fill(reused, name, size(name)));
        assertEquals(
                List.of(
                        "model-00001-of-00003.safetensors",
                        "model-00002-of-00003.safetensors",
                        "model-00003-of-00003.safetensors",
                        SafetensorsReader.INDEX_FILE),
                written.stream().map(p -> p.getFileName().toString()).toList());
        try (SafetensorsReader reader = SafetensorsReader.open(folder)) {
            assertEquals(List.of("a", "b", "c", "big", "d"), reader.names());
            assertEquals(
                    folder.resolve("model-00002-of-00003.safetensors"),
                    reader.tensor("big").file());
            float[] big = reader.readFloats("big");
            assertEquals(1200, big.length);
            assertEquals(expected("big", 1199), big[1199]);
            assertEquals(Float16.fromBf16(Float16.toBf16(expected("b", 3))), reader.readFloats("b")[3]);
        }

        List<Path> single =
                new SafetensorsWriter(WeightType.F16).add("a", 1000).write(folder, name -> fill(reused, name, 1000));
        assertEquals(List.of(folder.resolve(SafetensorsReader.SINGLE_FILE)), single);
        try (var files = Files.list(folder)) {
            assertEquals(
                    List.of(SafetensorsReader.SINGLE_FILE),
                    files.map(p -> p.getFileName().toString()).toList());
        }
        try (SafetensorsReader reader = SafetensorsReader.open(folder)) {
            assertEquals(List.of("a"), reader.names());
            assertEquals(Float16.fromF16(Float16.toF16(expected("a", 5))), reader.readFloats("a")[5]);
        }
    }

    @Test
    void writtenHeadersArePaddedWithSpacesToAMultipleOfEight(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("one.safetensors");
        new SafetensorsWriter(WeightType.F32).add("odd.name", 3).writeFile(file, name -> FloatBuffer.allocate(3));
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long length = bytes.getLong();
        assertEquals(0, length % 8);
        String header = new String(bytes.array(), 8, (int) length, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"odd.name\":"), header);
        assertFalse(header.strip().contains(" "), header);
        assertEquals(8 + length + 12, Files.size(file));
    }

    private static int size(String name) {
        return switch (name) {
            case "a" -> 1000;
            case "big" -> 1200;
            case "d" -> 10;
            default -> 500;
        };
    }

    private static FloatBuffer fill(FloatBuffer buffer, String name, int size) {
        buffer.clear().limit(size);
        for (int i = 0; i < buffer.limit(); i++) {
            buffer.put(i, expected(name, i));
        }
        return buffer;
    }

    private static float expected(String name, int i) {
        return (float) Math.sin(i * 0.001 + name.hashCode());
    }

    private long allocated() {
        return threads.getCurrentThreadAllocatedBytes();
    }
}
