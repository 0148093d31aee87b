package dev.sublinear.training.model.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sublinear.training.tokenizer.HfTokenizer;
import dev.sublinear.training.weights.SafetensorsReader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The BERT block with real pretrained weights: all-MiniLM-L6-v2 converted from the ONNX file that the
 * langchain4j jar ships into a Hugging Face BertModel directory (see {@link MiniLm}), loaded as a
 * classifier, and its encoder's last hidden state compared with what ONNX Runtime computes from the
 * original file for the same token ids and mask: a check of the forward, the checkpoint's names and
 * the converter against an implementation this project did not write.
 */
class BertOnnxParityTest {

    /** Six float32 layers computed by two runtimes in different orders: measured max 2.7e-5 (values up to 5.8). */
    private static final double TOLERANCE = 1e-4;

    private static final List<String> SENTENCES = List.of(
            "The striker scored twice in the second half.",
            "Whisk the eggs with sugar until pale.",
            "Hello!",
            "A quick brown fox jumps over the lazy dog near the riverbank at dawn.");

    @TempDir
    Path work;

    @Test
    void lastHiddenStateMatchesOnnxRuntime() throws Exception {
        Path hf = MiniLm.convert(work);
        BertConfig config = BertConfig.read(hf.resolve("config.json"));
        assertEquals(
                new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12, 0.02, 0, List.of("LABEL_0", "LABEL_1")), config);
        long[][] ids;
        try (HfTokenizer tokenizer = HfTokenizer.load(hf)) {
            ids = padded(tokenizer);
        }
        assertEquals(101, ids[0][0], "[CLS] first");
        float[][] mask = mask(ids);
        float[] onnx = onnxRuntime(MiniLm.onnx(work), ids, mask);
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(hf)) {
            BertForSequenceClassification model = new BertForSequenceClassification(config);
            Set<String> created = model.loadCheckpoint(manager, reader);
            assertEquals(
                    Set.of(
                            "bert.pooler.dense.weight",
                            "bert.pooler.dense.bias",
                            "classifier.weight",
                            "classifier.bias"),
                    created);
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4), new Shape(1, 4));
            Shape shape = new Shape(ids.length, ids[0].length);
            NDList inputs = new NDList(manager.create(flatten(ids), shape), manager.create(flatten(mask), shape));
            NDArray hidden = model.encode(new ParameterStore(manager, false), inputs, false)
                    .get(0);
            assertEquals(new Shape(ids.length, ids[0].length, 384), hidden.getShape());
            float[] java = hidden.toFloatArray();
            double max = 0;
            double largest = 0;
            for (int i = 0; i < java.length; i++) {
                max = Math.max(max, Math.abs(java[i] - onnx[i]));
                largest = Math.max(largest, Math.abs(onnx[i]));
            }
            System.out.printf(
                    "MiniLM last hidden state, %d values: max |java - onnxruntime| = %.3g (largest |value| %.3g)%n",
                    java.length, max, largest);
            assertTrue(largest > 1, "a real hidden state, not zeros");
            assertTrue(max <= TOLERANCE, "max |java - onnxruntime| = " + max);
        }
    }

    /** The sentences' ids with [CLS] ... [SEP], right-padded with [PAD] (0) to the longest. */
    private static long[][] padded(HfTokenizer tokenizer) {
        int[][] encoded = new int[SENTENCES.size()][];
        int length = 0;
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = tokenizer.encodeWithSpecialTokens(SENTENCES.get(i));
            assertEquals(102, encoded[i][encoded[i].length - 1], "[SEP] last");
            length = Math.max(length, encoded[i].length);
        }
        assertTrue(length < 40, "the tokenizer.json's padding to 128 is off: " + length);
        long[][] ids = new long[encoded.length][length];
        for (int i = 0; i < encoded.length; i++) {
            for (int t = 0; t < encoded[i].length; t++) {
                ids[i][t] = encoded[i][t];
            }
        }
        return ids;
    }

    private static float[][] mask(long[][] ids) {
        float[][] mask = new float[ids.length][ids[0].length];
        for (int i = 0; i < ids.length; i++) {
            for (int t = 0; t < ids[i].length; t++) {
                mask[i][t] = ids[i][t] == 0 ? 0f : 1f;
            }
        }
        return mask;
    }

    private static float[] onnxRuntime(Path model, long[][] ids, float[][] mask) throws OrtException {
        long[][] attention = new long[ids.length][ids[0].length];
        for (int i = 0; i < ids.length; i++) {
            for (int t = 0; t < ids[i].length; t++) {
                attention[i][t] = (long) mask[i][t];
            }
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession session = environment.createSession(model.toString(), new OrtSession.SessionOptions());
                OnnxTensor inputIds = OnnxTensor.createTensor(environment, ids);
                OnnxTensor attentionMask = OnnxTensor.createTensor(environment, attention);
                OnnxTensor tokenTypes = OnnxTensor.createTensor(environment, new long[ids.length][ids[0].length]);
                OrtSession.Result result = session.run(
                        Map.of("input_ids", inputIds, "attention_mask", attentionMask, "token_type_ids", tokenTypes))) {
            float[][][] hidden = (float[][][]) result.get(0).getValue();
            float[] flat = new float[ids.length * ids[0].length * hidden[0][0].length];
            int k = 0;
            for (float[][] row : hidden) {
                for (float[] token : row) {
                    for (float value : token) {
                        flat[k++] = value;
                    }
                }
            }
            return flat;
        }
    }

    private static long[] flatten(long[][] rows) {
        return Arrays.stream(rows).flatMapToLong(Arrays::stream).toArray();
    }

    private static float[] flatten(float[][] rows) {
        float[] flat = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[i].length);
        }
        return flat;
    }
}
