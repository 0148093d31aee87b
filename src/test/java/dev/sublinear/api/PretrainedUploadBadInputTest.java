package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.weights.WeightType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Broken Hugging Face model uploads: each is refused with 400 problem+json naming the file (and the
 * key where there is one), no server path in it, nothing stored, and the service keeps serving.
 */
class PretrainedUploadBadInputTest {

    @TempDir
    static Path dir;

    static RunningService service;
    static Path good;
    static int variant;

    @BeforeAll
    static void start() throws Exception {
        // a small model limit, so that a bomb needs only a small upload: 8 MB files, 32 MB unpacked
        service = RunningService.start(
                dir.resolve("data"),
                null,
                "--sublinear.jobs.max-file-bytes=8388608",
                "--sublinear.jobs.max-model-bytes=33554432");
        good = TinyHfModels.gpt2(dir.resolve("good"), WeightType.F32, 3);
    }

    @Test
    void aTruncatedWeightFile() throws Exception {
        assertRefused(
                variant(d -> resize(d.resolve("model.safetensors"), -100)),
                "model.safetensors",
                "transformer.ln_f.bias");
    }

    @Test
    void aHeaderOffsetPastTheEnd() throws Exception {
        Path model = variant(d -> rewriteHeader(
                d.resolve("model.safetensors"),
                header -> header.getAsJsonObject("transformer.ln_f.bias")
                        .getAsJsonArray("data_offsets")
                        .set(1, new JsonPrimitive(1L << 40))));
        assertRefused(model, "model.safetensors", "transformer.ln_f.bias");
    }

    @Test
    void aShapeThatDisagreesWithTheConfig() throws Exception {
        Path model = variant(d -> editConfig(d, c -> c.addProperty("n_inner", 64)));
        assertRefused(model, "model.safetensors", "transformer.h.0.mlp.c_fc.weight");
    }

    @Test
    void anUnknownModelType() throws Exception {
        Path model = variant(d -> editConfig(d, c -> c.addProperty("model_type", "t5")));
        assertRefused(model, "config.json", "gpt2");
    }

    @Test
    void noTokenizer() throws Exception {
        Path model = variant(d -> delete(d.resolve("tokenizer.json")));
        assertRefused(model, "tokenizer.json", null);
    }

    @Test
    void aTenGigabyteTensorDeclaredInASmallFile() throws Exception {
        Path model = variant(d -> {
            delete(d.resolve("model.safetensors"));
            byte[] header = pad("{\"transformer.wte.weight\": {\"dtype\": \"F32\", \"shape\": [50000, 50000],"
                    + " \"data_offsets\": [0, 10000000000]}}");
            write(d.resolve("model.safetensors"), safetensors(header, new byte[1024]));
        });
        assertRefused(model, "model.safetensors", "transformer.wte.weight");
    }

    @Test
    void anIndexNamingAMissingShard() throws Exception {
        Path model = variant(d -> {
            Path single = d.resolve("model.safetensors");
            Files.move(single, d.resolve("model-00001-of-00002.safetensors"));
            JsonObject map = new JsonObject();
            map.addProperty("transformer.wte.weight", "model-00001-of-00002.safetensors");
            map.addProperty("transformer.ln_f.bias", "model-00002-of-00002.safetensors");
            JsonObject index = new JsonObject();
            index.add("weight_map", map);
            write(d.resolve("model.safetensors.index.json"), index.toString().getBytes(StandardCharsets.UTF_8));
        });
        assertRefused(model, "model-00002-of-00002.safetensors", null);
    }

    @Test
    void duplicateKeys() throws Exception {
        Path model = variant(d -> {
            delete(d.resolve("model.safetensors"));
            byte[] header =
                    pad("{\"transformer.ln_f.bias\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                            + " \"transformer.ln_f.bias\": {\"dtype\": \"F32\", \"shape\": [2],"
                            + " \"data_offsets\": [8, 16]}}");
            write(d.resolve("model.safetensors"), safetensors(header, new byte[16]));
        });
        assertRefused(model, "model.safetensors", "transformer.ln_f.bias");
    }

    @Test
    void aZipBomb() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.setLevel(9);
            for (String name : new String[] {"config.json", "tokenizer.json"}) {
                zip.putNextEntry(new ZipEntry(name));
                Files.copy(good.resolve(name), zip);
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry("model.safetensors"));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) { // 256 MB of zeros, about 250 KB deflated
                zip.write(zeros);
            }
            zip.closeEntry();
        }
        assertThat(bytes.size()).isLessThan(1 << 20);
        assertProblem(service.upload("bomb.zip", bytes.toByteArray(), "model"), "model.safetensors", null);
    }

    /** Nothing from any refusal was kept, and the service still answers. */
    @AfterAll
    static void nothingWasStoredAndTheServiceServes() {
        try {
            JsonNode files =
                    service.get("/v1/files?purpose=model").expect(200).json().get("data");
            assertThat(files.size()).isZero();
            assertThat(service.get("/actuator/health").status()).isEqualTo(200);
        } finally {
            service.close();
        }
    }

    private static void assertRefused(Path model, String file, String key) throws IOException {
        assertProblem(service.upload("model.zip", PretrainedModelsApiTest.zip(model, ""), "model"), file, key);
    }

    private static void assertProblem(ServiceClient.Response response, String file, String key) {
        assertThat(response.status()).as(response.body()).isEqualTo(400);
        assertThat(response.contentType()).startsWith("application/problem+json");
        String detail = response.json().get("detail").asString();
        System.out.println("refused: " + detail);
        assertThat(detail).as(response.body()).contains(file).doesNotContain(dir.toString(), "/tmp/", "Exception");
        if (key != null) {
            assertThat(detail).as(response.body()).contains(key);
        }
        assertThat(response.json().get("param").asString()).isEqualTo("file");
    }

    /** A copy of the good model, changed by {@code change}. */
    private static Path variant(IoConsumer<Path> change) throws IOException {
        Path copy = dir.resolve("variant-" + variant++);
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(good)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        change.accept(copy);
        return copy;
    }

    interface IoConsumer<T> {
        void accept(T value) throws IOException;
    }

    private static void editConfig(Path model, Consumer<JsonObject> edit) throws IOException {
        Path file = model.resolve("config.json");
        JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        edit.accept(config);
        Files.writeString(file, config.toString());
    }

    private static void rewriteHeader(Path file, Consumer<JsonObject> edit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long length =
                ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(new String(bytes, 8, (int) length, StandardCharsets.UTF_8))
                .getAsJsonObject();
        edit.accept(header);
        write(file, safetensors(pad(header.toString()), Arrays.copyOfRange(bytes, 8 + (int) length, bytes.length)));
    }

    private static byte[] pad(String header) {
        StringBuilder text = new StringBuilder(header);
        while (text.length() % 8 != 0) {
            text.append(' ');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] safetensors(byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length)
                .put(header)
                .put(data)
                .array();
    }

    private static void resize(Path file, int by) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        write(file, Arrays.copyOf(bytes, bytes.length + by));
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
    }

    private static void delete(Path file) throws IOException {
        Files.delete(file);
    }
}
