package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.testing.TorchReference;
import dev.sublinear.training.NoGrad;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.TensorInfo;
import dev.sublinear.training.weights.WeightType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A Hugging Face model through the service, as a user brings one: uploaded as a zip or tar.gz of its
 * directory, or provided in the operator's models directory; fine-tuned over HTTP; tried; downloaded
 * as a Hugging Face directory that an independent reader (the PyTorch reference) scores as the
 * service's own code does.
 */
class PretrainedModelsApiTest {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(180);
    private static final Path SCORER = Path.of("src/test/python/hf_export_logprobs.py");

    @TempDir
    static Path dir;

    static RunningService service;
    static String training;

    @BeforeAll
    static void start() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        TinyHfModels.llama(models.resolve("tiny-qwen3"), "qwen3", WeightType.BF16, 11);
        Files.createDirectories(models.resolve("not-a-model"));
        service = RunningService.start(dir.resolve("data"), null, "--sublinear.models.dir=" + models);
        training = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 32, 1), "fine-tune");
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void anUploadedModelFineTunesAndComesBackAsAHuggingFaceDirectory() throws Exception {
        Path base = TinyHfModels.gpt2(dir.resolve("gpt2"), WeightType.BF16, 12);
        JsonNode file = service.upload("gpt2.zip", zip(base, "gpt2/"), "model")
                .expect(201)
                .json();
        assertThat(file.get("status").asString()).as(file.toString()).isEqualTo("processed");
        String body = """
                {"model": "%s", "training_file": "%s", "suffix": "hf",
                 "hyperparameters": {"n_epochs": 2, "batch_size": 8, "checkpoint_interval_steps": 4}}""";
        String jobId = service.createJob(body.formatted(file.get("id").asString(), training));
        JsonNode job = service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        String model = job.get("fine_tuned_model").asString();

        JsonNode completion = service.post(
                        "/v1/models/" + model + "/completions",
                        "{\"prompt\": \"the\", \"max_tokens\": 4, \"temperature\": 0}")
                .expect(200)
                .json();
        assertThat(completion.get("choices").get(0).get("text").isString()).isTrue();

        Path exported = unzip(service.download("/v1/models/" + model + "/content"), dir.resolve("exported"));
        assertThat(exported.resolve("tokenizer.json")).hasSameBinaryContentAs(base.resolve("tokenizer.json"));
        JsonObject config = JsonParser.parseString(Files.readString(exported.resolve("config.json")))
                .getAsJsonObject();
        assertThat(config.get("model_type").getAsString()).isEqualTo("gpt2");
        assertThat(config.getAsJsonArray("architectures").get(0).getAsString()).isEqualTo("GPT2LMHeadModel");
        try (SafetensorsReader before = SafetensorsReader.open(base);
                SafetensorsReader after = SafetensorsReader.open(exported)) {
            assertThat(after.names()).isEqualTo(before.names());
            for (TensorInfo tensor : after.tensors()) {
                assertThat(tensor.type()).as(tensor.name()).isEqualTo(WeightType.BF16);
            }
            assertThat(after.readFloats("transformer.h.1.mlp.c_fc.weight"))
                    .as("trained")
                    .isNotEqualTo(before.readFloats("transformer.h.1.mlp.c_fc.weight"));
        }
        assertReferenceScoresAsTheService(exported);

        JsonNode newest = service.get("/v1/fine_tuning/jobs/" + jobId + "/checkpoints")
                .expect(200)
                .json()
                .get("data")
                .get(0);
        Path checkpoint = unzip(
                service.download("/v1/fine_tuning/jobs/" + jobId + "/checkpoints/"
                        + newest.get("id").asString() + "/content"),
                dir.resolve("checkpoint"));
        assertThat(checkpoint.resolve("config.json")).exists();
        assertReferenceScoresAsTheService(checkpoint);
    }

    @Test
    void aTarGzUploadIsAcceptedAndTheModelsDirectoryIsListedForEveryTenant() throws Exception {
        Path base = TinyHfModels.llama(dir.resolve("llama"), "llama", WeightType.F32, 13);
        JsonNode file =
                service.upload("llama.tar.gz", tarGz(base), "model").expect(201).json();
        assertThat(file.get("status").asString()).isEqualTo("processed");

        JsonNode models = service.get("/v1/models").expect(200).json().get("data");
        List<JsonNode> system = StreamSupport.stream(models.spliterator(), false)
                .filter(m -> m.get("owned_by").asString().equals("system"))
                .toList();
        assertThat(system).extracting(m -> m.get("id").asString()).containsExactly("tiny-qwen3");
        assertThat(system.get(0).get("task").asString()).isEqualTo("causal-lm");

        String jobId = service.createJob("""
                {"model": "tiny-qwen3", "training_file": "%s",
                 "hyperparameters": {"max_steps": 3, "batch_size": 8}}""".formatted(training));
        JsonNode job = service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        assertThat(service.post(
                                "/v1/models/tiny-qwen3/completions",
                                "{\"prompt\": \"ab\", \"max_tokens\": 3, \"temperature\": 0}")
                        .expect(200)
                        .json()
                        .get("choices"))
                .hasSize(1);
        assertThat(service.delete("/v1/models/tiny-qwen3").status()).isEqualTo(409);
    }

    @Test
    void aBertEncoderBecomesAClassifierForTheDataLabels() throws Exception {
        Path base = TinyHfModels.bert(dir.resolve("bert"), 14);
        JsonNode file =
                service.upload("bert.zip", zip(base, ""), "model").expect(201).json();
        assertThat(file.get("tasks").get(0).asString()).isEqualTo("classification");
        String labelled = service.uploadFile(SyntheticData.initials(dir.resolve("initials.jsonl"), 32, 3), "fine-tune");
        String body = """
                {"model": "%s", "training_file": "%s", "hyperparameters": {"max_steps": 4, "batch_size": 8}}""";
        String jobId = service.createJob(body.formatted(file.get("id").asString(), labelled));
        JsonNode job = service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        assertThat(job.get("hyperparameters").get("learning_rate").asDouble())
                .as("a pretrained base's default rate")
                .isEqualTo(3e-4);
        String model = job.get("fine_tuned_model").asString();
        JsonNode prediction = service.post("/v1/models/" + model + "/predictions", "{\"text\": \"apple\"}")
                .expect(200)
                .json();
        assertThat(StreamSupport.stream(prediction.get("scores").spliterator(), false)
                        .map(s -> s.get("label").asString()))
                .containsExactlyInAnyOrder("vowel", "consonant");
        Path exported = unzip(service.download("/v1/models/" + model + "/content"), dir.resolve("bert-exported"));
        JsonObject config = JsonParser.parseString(Files.readString(exported.resolve("config.json")))
                .getAsJsonObject();
        assertThat(config.getAsJsonArray("architectures").get(0).getAsString())
                .isEqualTo("BertForSequenceClassification");
        assertThat(config.getAsJsonObject("label2id").keySet()).containsExactlyInAnyOrder("vowel", "consonant");
        try (SafetensorsReader weights = SafetensorsReader.open(exported)) {
            assertThat(weights.names()).contains("bert.pooler.dense.weight", "classifier.weight", "classifier.bias");
        }
    }

    /** The reference, reading the directory on its own, gives the log-probs the service's code computes from it. */
    private static void assertReferenceScoresAsTheService(Path model) throws Exception {
        int[][] ids = {{104, 101, 256, 32, 97, 98}, {116, 257, 101, 258, 99, 32}};
        Path idsFile = model.resolveSibling(model.getFileName() + "-ids.json");
        JsonArray rows = new JsonArray();
        for (int[] row : ids) {
            JsonArray r = new JsonArray();
            for (int id : row) {
                r.add(id);
            }
            rows.add(r);
        }
        Files.writeString(idsFile, rows.toString());
        Path out = model.resolveSibling(model.getFileName() + "-reference.json");
        TorchReference.run("exported model", SCORER, model.toString(), idsFile.toString(), out.toString());
        JsonArray expected =
                JsonParser.parseString(Files.readString(out)).getAsJsonObject().getAsJsonArray("log_probs");
        try (LoadedModel loaded = LoadedModel.load(model, Device.cpu());
                NoGrad ignored = NoGrad.enter();
                NDManager manager = loaded.model().getNDManager().newSubManager()) {
            long[] flat = new long[ids.length * ids[0].length];
            for (int b = 0; b < ids.length; b++) {
                for (int t = 0; t < ids[b].length; t++) {
                    flat[b * ids[0].length + t] = ids[b][t];
                }
            }
            Shape shape = new Shape(ids.length, ids[0].length);
            NDArray logits = loaded.block()
                    .forward(
                            new ParameterStore(manager, false),
                            new NDList(manager.create(flat, shape), manager.ones(shape)),
                            false)
                    .singletonOrThrow();
            float[] actual = logits.logSoftmax(-1).toFloatArray();
            float[] reference = new float[actual.length];
            int at = 0;
            for (var row : expected) {
                for (var position : row.getAsJsonArray()) {
                    for (var value : position.getAsJsonArray()) {
                        reference[at++] = value.getAsFloat();
                    }
                }
            }
            assertThat(at).isEqualTo(actual.length);
            assertThat(TorchReference.maxAbsDiff(reference, actual))
                    .as(model.toString())
                    .isLessThan(1e-4);
        }
    }

    static byte[] zip(Path directory, String prefix) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes);
                Stream<Path> files = Files.list(directory)) {
            for (Path file : files.sorted().toList()) {
                zip.putNextEntry(new ZipEntry(prefix + file.getFileName()));
                Files.copy(file, zip);
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    static byte[] tarGz(Path directory) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes));
                Stream<Path> files = Files.list(directory)) {
            for (Path file : files.sorted().toList()) {
                TarArchiveEntry entry =
                        new TarArchiveEntry(file.toFile(), file.getFileName().toString());
                tar.putArchiveEntry(entry);
                Files.copy(file, tar);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    static Path unzip(byte[] archive, Path target) throws IOException {
        Files.createDirectories(target);
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                assertThat(e.getName()).doesNotContain("/");
                Files.copy(zip, target.resolve(e.getName()));
            }
        }
        return target;
    }
}
