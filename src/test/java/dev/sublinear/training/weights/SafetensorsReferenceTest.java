package dev.sublinear.training.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.testing.TorchReference;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader and the writer against torch: {@code src/test/python/safetensors_reference.py} writes
 * fixtures by hand with torch's own float16 and bfloat16 conversions, which the reader must return
 * exactly, and checks the writer's files against torch's conversions of the same float32 values.
 * Needs Debian's {@code /usr/bin/python3} with {@code python3-torch}; without it the test fails, as
 * CI installs it ({@code .ci/run}).
 */
class SafetensorsReferenceTest {

    private static final Path SCRIPT = Path.of("src/test/python/safetensors_reference.py");

    @TempDir
    static Path fixtures;

    private static JsonObject expected;

    @BeforeAll
    static void writeFixtures() throws Exception {
        TorchReference.run("safetensors", SCRIPT, "fixtures", fixtures.toString());
        expected = JsonParser.parseString(Files.readString(fixtures.resolve("expected.json")))
                .getAsJsonObject();
    }

    @Test
    void readsTorchsF32F16AndBf16FilesAsTorchsFloat32Values() throws IOException {
        for (String name : List.of("f32.safetensors", "f16.safetensors", "bf16.safetensors")) {
            try (SafetensorsReader reader = SafetensorsReader.open(fixtures.resolve(name))) {
                assertMatchesTorch(name, reader, expected.getAsJsonObject(name));
            }
        }
    }

    @Test
    void readsTorchsShardedSetThroughItsIndexOrItsFolder() throws IOException {
        Path folder = fixtures.resolve("sharded");
        for (Path path : List.of(folder, folder.resolve(SafetensorsReader.INDEX_FILE))) {
            try (SafetensorsReader reader = SafetensorsReader.open(path)) {
                assertMatchesTorch("sharded", reader, expected.getAsJsonObject("sharded"));
                assertEquals(Map.of("format", "pt"), reader.metadata());
                assertEquals(WeightType.BF16, reader.tensor("layers.0.weight").type());
                assertEquals(WeightType.F16, reader.tensor("layers.1.weight").type());
            }
        }
    }

    @Test
    void aBf16TensorReachesDjlAsFloat32() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(fixtures.resolve("bf16.safetensors"));
                NDManager manager = NDManager.newBaseManager()) {
            NDArray matrix = reader.read("matrix", manager);
            assertEquals(DataType.FLOAT32, matrix.getDataType());
            assertArrayEquals(new long[] {7, 5, 3}, matrix.getShape().getShape());
            assertArrayEquals(reader.readFloats("matrix"), matrix.toFloatArray());
        }
    }

    @Test
    void torchReadsTheWritersFilesAsItsOwnConversions(@TempDir Path folder) throws Exception {
        Map<String, float[]> values = values();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("special", new long[] {values.get("special").length});
        shapes.put("ties", new long[] {values.get("ties").length});
        shapes.put("random_bits", new long[] {100, 200});
        shapes.put("gaussian", new long[] {10, 20, 3});
        shapes.put("scalar", new long[0]);
        shapes.put("empty", new long[] {0, 5});
        SafetensorsWriter.TensorSource source = name -> FloatBuffer.wrap(values.get(name));
        Map<String, String> files = new LinkedHashMap<>();
        for (WeightType type : List.of(WeightType.F32, WeightType.F16, WeightType.BF16)) {
            SafetensorsWriter writer = new SafetensorsWriter(type);
            shapes.forEach(writer::add);
            String file = type.name().toLowerCase() + ".safetensors";
            writer.writeFile(folder.resolve(file), source);
            files.put(file, type.name());
        }
        SafetensorsWriter sharded = new SafetensorsWriter(WeightType.BF16).maxShardBytes(10_000);
        List<WeightType> types = List.of(WeightType.F32, WeightType.F16, WeightType.BF16);
        int i = 0;
        for (Map.Entry<String, long[]> shape : shapes.entrySet()) {
            sharded.add(shape.getKey(), types.get(i++ % types.size()), shape.getValue());
        }
        Path shards = Files.createDirectory(folder.resolve("sharded"));
        List<Path> written = sharded.write(shards, source);
        assertEquals(
                SafetensorsReader.INDEX_FILE,
                written.get(written.size() - 1).getFileName().toString());
        assertTrue(written.size() > 2, "several shards: " + written);
        files.put("sharded/" + SafetensorsReader.INDEX_FILE, "mixed");

        JsonObject tensors = new JsonObject();
        values.forEach((name, floats) -> {
            JsonObject tensor = new JsonObject();
            JsonArray shape = new JsonArray();
            for (long dimension : shapes.get(name)) {
                shape.add(dimension);
            }
            JsonArray bits = new JsonArray();
            for (float value : floats) {
                bits.add(Float.floatToRawIntBits(value));
            }
            tensor.add("shape", shape);
            tensor.add("bits", bits);
            tensors.add(name, tensor);
        });
        JsonObject description = new JsonObject();
        description.add("tensors", tensors);
        JsonObject fileTypes = new JsonObject();
        files.forEach(fileTypes::addProperty);
        description.add("files", fileTypes);
        Files.writeString(folder.resolve("source.json"), description.toString());

        String output = TorchReference.run("safetensors", SCRIPT, "verify", folder.toString());
        assertEquals("ok " + 4 * shapes.size() + " tensors", output.strip());

        try (SafetensorsReader reader = SafetensorsReader.open(shards)) {
            assertEquals(new TreeSet<>(shapes.keySet()), new TreeSet<>(reader.names()));
            float[] f32 = reader.readFloats("special"); // F32 in the sharded set: exactly what was given
            assertArrayEquals(values.get("special"), f32);
        }
    }

    /** Float32 values with every case of rounding: specials, ties for F16 and BF16, random bits. */
    private static Map<String, float[]> values() {
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put("special", new float[] {
            0f,
            -0f,
            1f,
            -1f,
            0.1f,
            (float) Math.PI,
            65504f,
            65519.99f,
            65520f,
            1e5f,
            -1e5f,
            0x1p-14f,
            0x1p-24f,
            0x1p-25f,
            0x1.8p-25f,
            0x1p-26f,
            0x1.8p-24f,
            1e-40f,
            -Float.MIN_VALUE,
            Float.MAX_VALUE,
            Float.MIN_NORMAL,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.NaN,
            Float.intBitsToFloat(0xFFC00001)
        });
        List<Float> ties = new ArrayList<>();
        Random random = new Random(15);
        for (int i = 0; i < 500; i++) {
            int upper = random.nextInt() & 0x7F7F0000; // finite, either parity of the last kept bit
            ties.add(Float.intBitsToFloat(upper | 0x8000)); // halfway between two BF16 numbers
            ties.add(-Float.intBitsToFloat(upper | 0x18000));
            int half = (random.nextInt(0x8F - 0x67) + 0x67) << 23 | (random.nextInt() & 0x7FE000);
            ties.add(Float.intBitsToFloat(half | 0x1000)); // halfway between two F16 numbers from 2^-14 up
            ties.add(Float.intBitsToFloat(half | 0x3000));
        }
        float[] tied = new float[ties.size()];
        for (int i = 0; i < tied.length; i++) {
            tied[i] = ties.get(i);
        }
        values.put("ties", tied);
        float[] bits = new float[20_000];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.intBitsToFloat(random.nextInt());
        }
        values.put("random_bits", bits);
        float[] gaussian = new float[600];
        for (int i = 0; i < gaussian.length; i++) {
            gaussian[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
        }
        values.put("gaussian", gaussian);
        values.put("scalar", new float[] {-7.25f});
        values.put("empty", new float[0]);
        return values;
    }

    private static void assertMatchesTorch(String fixture, SafetensorsReader reader, JsonObject tensors)
            throws IOException {
        assertEquals(new TreeSet<>(tensors.keySet()), new TreeSet<>(reader.names()), fixture);
        for (String name : tensors.keySet()) {
            JsonObject tensor = tensors.getAsJsonObject(name);
            long[] shape = new long[tensor.getAsJsonArray("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = tensor.getAsJsonArray("shape").get(i).getAsLong();
            }
            assertArrayEquals(shape, reader.tensor(name).shape(), fixture + " " + name);
            JsonArray bits = tensor.getAsJsonArray("bits");
            float[] actual = reader.readFloats(name);
            assertEquals(bits.size(), actual.length, fixture + " " + name);
            for (int i = 0; i < actual.length; i++) {
                float torch = Float.intBitsToFloat(bits.get(i).getAsInt());
                if (Float.isNaN(torch)) {
                    assertTrue(Float.isNaN(actual[i]), fixture + " " + name + "[" + i + "] is not NaN");
                } else if (Float.floatToRawIntBits(torch) != Float.floatToRawIntBits(actual[i])) {
                    fail(fixture + " " + name + "[" + i + "]: torch " + torch + " ("
                            + Integer.toHexString(Float.floatToRawIntBits(torch)) + "), read " + actual[i] + " ("
                            + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ")");
                }
            }
        }
    }
}
