package dev.sublinear.training.model.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.run.DirectoryCheckpointStore;
import dev.sublinear.training.run.LearningRate;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.RunOutcome;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingPlan;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.SafetensorsWriter;
import dev.sublinear.training.weights.TensorInfo;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What pretrained weights buy, through the service's own training path ({@link TrainingRun}, as a
 * job runs it): all-MiniLM-L6-v2 ({@link MiniLm}, a bare BertModel) fine-tuned as a sports/cooking
 * classifier (a new head for the data's labels) against the same architecture with transformers'
 * initialisation, same steps, batches, optimizer and seed, each scored on held-out sentences it never
 * saw ({@link TopicSentences}) with the saved model's own classify.
 *
 * <p>Measured with the earlier bare DJL loop (10 steps of 16, Adafactor without relative step or
 * parameter scaling, lr 1e-4): pretrained 0.975 held-out, from scratch 0.650. The thresholds leave
 * four or five sentences of slack on either side.
 */
class BertFineTuningTest {

    private static final OptimizerConfig OPTIMIZER = OptimizerConfig.adafactor()
            .withOptions(b -> b.optRelativeStep(false).optScaleParameter(false))
            .withLearningRate(LearningRate.constant(1e-4f));

    @TempDir
    static Path work;

    @Test
    void pretrainedMiniLmBeatsTheSameArchitectureFromScratch() throws Exception {
        Path pretrained = MiniLm.convert(work);
        Path scratch = fromScratch(pretrained, work.resolve("scratch"));
        Set<String> trainTexts = new HashSet<>();
        TopicSentences.train().forEach(e -> trainTexts.add(e.text()));
        TopicSentences.heldOut().forEach(e -> assertTrue(!trainTexts.contains(e.text()), e.text()));
        Path train = jsonl(TopicSentences.train(), work.resolve("train.jsonl"));

        long start = System.nanoTime();
        double tuned = heldOutAccuracy(fineTune(pretrained, train, "pretrained"));
        long middle = System.nanoTime();
        double fresh = heldOutAccuracy(fineTune(scratch, train, "scratch"));
        System.out.printf(
                "MiniLM through TrainingRun, 10 steps of 16: held-out pretrained %.3f (%.1f s), from scratch %.3f"
                        + " (%.1f s)%n",
                tuned, (middle - start) / 1e9, fresh, (System.nanoTime() - middle) / 1e9);
        assertTrue(tuned >= 0.85, "pretrained held-out accuracy " + tuned);
        assertTrue(fresh <= 0.75, "from-scratch held-out accuracy " + fresh);

        JsonObject config = JsonParser.parseString(
                        Files.readString(work.resolve("pretrained-model").resolve("config.json")))
                .getAsJsonObject();
        assertEquals(
                "BertForSequenceClassification",
                config.getAsJsonArray("architectures").get(0).getAsString());
        // the data's labels, in the service's order (sorted), as transformers' id2label and label2id
        assertEquals("cooking", config.getAsJsonObject("id2label").get("0").getAsString());
        assertEquals("sports", config.getAsJsonObject("id2label").get("1").getAsString());
        assertEquals(1, config.getAsJsonObject("label2id").get("sports").getAsInt());
    }

    private static Path fineTune(Path base, Path train, String name) throws Exception {
        TrainingSpec spec = new TrainingSpec(
                TaskType.CLASSIFICATION,
                new ModelSource.Saved(base),
                train,
                null,
                new TrainingPlan(2, 16, 10, 1, 0, 0, 1),
                OPTIMIZER,
                new Device[] {Device.cpu()},
                7,
                new DirectoryCheckpointStore(work.resolve(name + "-checkpoints")),
                null,
                work.resolve(name + "-model"));
        RunOutcome outcome = new TrainingRun(spec, new RunControl(), new TrainingListener() {}).run();
        assertEquals(RunOutcome.Status.COMPLETED, outcome.status());
        assertEquals(10, outcome.steps());
        return spec.outputDirectory();
    }

    private static double heldOutAccuracy(Path model) throws IOException {
        int right = 0;
        try (LoadedModel loaded = LoadedModel.load(model, Device.cpu())) {
            assertThat(loaded.config().labels()).containsExactlyInAnyOrderElementsOf(TopicSentences.LABELS);
            for (TopicSentences.Example e : TopicSentences.heldOut()) {
                Map<String, Float> p = loaded.classify(e.text());
                String best = p.entrySet().stream()
                        .max(Map.Entry.comparingByValue())
                        .orElseThrow()
                        .getKey();
                right += best.equals(TopicSentences.LABELS.get(e.label())) ? 1 : 0;
            }
        }
        return (double) right / TopicSentences.heldOut().size();
    }

    /**
     * The same directory with transformers' initialisation of a new BertModel: weights normal(0,
     * initializer_range), LayerNorm weights 1 and biases 0.
     */
    private static Path fromScratch(Path pretrained, Path target) throws IOException {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(pretrained)) {
            for (Path f : files.filter(f -> !f.getFileName().toString().endsWith(".safetensors"))
                    .toList()) {
                Files.copy(f, target.resolve(f.getFileName()));
            }
        }
        float range = (float) BertConfig.read(pretrained.resolve("config.json")).initializerRange();
        Random random = new Random(7);
        try (SafetensorsReader reader = SafetensorsReader.open(pretrained)) {
            SafetensorsWriter writer = new SafetensorsWriter(WeightType.F32);
            Map<String, TensorInfo> tensors =
                    reader.tensors().stream().collect(Collectors.toMap(TensorInfo::name, t -> t));
            reader.tensors().forEach(t -> writer.add(t.name(), t.shape()));
            writer.write(target, name -> {
                float[] values = new float[(int) tensors.get(name).elementCount()];
                boolean norm = name.contains("LayerNorm");
                for (int i = 0; i < values.length; i++) {
                    values[i] = name.endsWith("bias") ? 0f : norm ? 1f : range * (float) random.nextGaussian();
                }
                return FloatBuffer.wrap(values);
            });
        }
        return target;
    }

    private static Path jsonl(List<TopicSentences.Example> examples, Path file) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (TopicSentences.Example e : examples) {
            JsonObject row = new JsonObject();
            row.addProperty("text", e.text());
            row.addProperty("label", TopicSentences.LABELS.get(e.label()));
            lines.append(row).append('\n');
        }
        return Files.writeString(file, lines.toString());
    }
}
