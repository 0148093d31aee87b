package dev.sublinear.training.generation;

import static dev.sublinear.testing.TorchReference.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.training.model.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TextGenerator#score} against torch: hf_parity_reference.py's expected.json holds log_softmax
 * of its own float32 forward's logits [B, T, V] for its ids; each token's log-prob (given the ones
 * before it) and the most likely alternatives at each position must agree to 1e-4.
 */
class ScoreReferenceTest {

    private static final double TOLERANCE = 1e-4;
    private static final int VOCAB = 100;
    private static final int TOP = 5;

    @TempDir
    static Path reference;

    @BeforeAll
    static void writeReference() throws Exception {
        GenerationFixtures.writeParityModels(reference);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2", "qwen3"})
    void logProbsEqualTorch(String family) throws Exception {
        Path folder = reference.resolve(family);
        JsonObject expected = JsonParser.parseString(Files.readString(folder.resolve("expected.json")))
                .getAsJsonObject();
        float[] torch = floats(expected.getAsJsonArray("log_probs"));
        JsonArray rows = expected.getAsJsonArray("ids");
        int length = rows.get(0).getAsJsonArray().size();
        double worst = 0;
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu())) {
            TextGenerator generator = new TextGenerator(model);
            for (int r = 0; r < rows.size(); r++) {
                int[] ids = new int[length];
                for (int t = 0; t < length; t++) {
                    ids[t] = rows.get(r).getAsJsonArray().get(t).getAsInt();
                }
                List<TokenScore> scores = generator.score(ids, TOP, () -> false);
                assertEquals(length, scores.size());
                assertNull(scores.get(0).logprob(), "the first token has no context");
                assertEquals(List.of(), scores.get(0).top());
                for (int t = 1; t < length; t++) {
                    int row = (r * length + t - 1) * VOCAB;
                    float[] position = Arrays.copyOfRange(torch, row, row + VOCAB);
                    TokenScore score = scores.get(t);
                    assertEquals(ids[t], score.id());
                    assertEquals("t" + ids[t], score.text());
                    worst = Math.max(worst, Math.abs(score.logprob() - position[ids[t]]));
                    float[] sorted = position.clone();
                    Arrays.sort(sorted);
                    assertEquals(TOP, score.top().size());
                    for (int k = 0; k < TOP; k++) {
                        TokenScore.Alternative alternative = score.top().get(k);
                        // the k-th most likely in torch's row, and torch's value for the id named
                        worst = Math.max(worst, Math.abs(alternative.logprob() - sorted[VOCAB - 1 - k]));
                        worst = Math.max(worst, Math.abs(alternative.logprob() - position[alternative.id()]));
                    }
                }
            }
        }
        System.out.printf("%s: score() vs torch log_softmax, max |diff| %.2e%n", family, worst);
        assertTrue(worst <= TOLERANCE, family + ": max |log p - torch| = " + worst);
    }
}
