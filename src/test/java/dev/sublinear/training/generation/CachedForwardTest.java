package dev.sublinear.training.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.sublinear.training.NoGrad;
import dev.sublinear.training.model.CausalLm;
import dev.sublinear.training.model.KvCache;
import dev.sublinear.training.model.LoadedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The key/value-cached forward ({@link CausalLm#forward(ParameterStore, NDArray, KvCache)}) against
 * the block's forward over the whole sequence, which PretrainedParityTest checks against torch: a
 * prompt fed in one piece and the rest one token at a time (and in uneven pieces) must give the same
 * logits at every position to 1e-4, for each Hugging Face family (the parity script's models) and ours.
 */
class CachedForwardTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path reference;

    @BeforeAll
    static void writeReference() throws Exception {
        GenerationFixtures.writeParityModels(reference);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2", "qwen3"})
    void cachedLogitsEqualTheFullForward(String family) throws Exception {
        try (LoadedModel model = LoadedModel.load(reference.resolve(family), Device.cpu())) {
            assertCachedEqualsUncached(family, model, 100);
        }
    }

    @Test
    void ourModelsCachedLogitsEqualTheFullForward() {
        try (LoadedModel model = GenerationFixtures.ownModel(11)) {
            assertCachedEqualsUncached("own", model, 260);
        }
    }

    @Test
    void aCacheFullToTheContextRefusesMore() {
        try (LoadedModel model = GenerationFixtures.ownModel(12);
                NoGrad ignored = NoGrad.enter();
                NDManager manager = model.model().getNDManager().newSubManager();
                KvCache cache = ((CausalLm) model.block()).newCache(manager)) {
            CausalLm lm = (CausalLm) model.block();
            ParameterStore store = new ParameterStore(manager, false);
            lm.forward(store, ids(manager, new int[60]), cache);
            assertThrows(IllegalArgumentException.class, () -> lm.forward(store, ids(manager, new int[5]), cache));
        }
    }

    private static void assertCachedEqualsUncached(String name, LoadedModel model, int vocab) {
        Random random = new Random(name.hashCode());
        int[] sequence = new int[40];
        for (int i = 0; i < sequence.length; i++) {
            sequence[i] = random.nextInt(vocab);
        }
        float[][] expected = GenerationFixtures.uncachedLogits(model, sequence);
        // a 7-token prompt then single tokens; and uneven pieces, as a window re-read would feed them
        for (List<Integer> pieces : List.of(pieces(7, 1, 33), List.of(1, 5, 2, 13, 1, 18))) {
            double worst = 0;
            CausalLm lm = (CausalLm) model.block();
            try (NoGrad ignored = NoGrad.enter();
                    NDManager manager = model.model().getNDManager().newSubManager();
                    KvCache cache = lm.newCache(manager)) {
                ParameterStore store = new ParameterStore(manager, false);
                int at = 0;
                for (int piece : pieces) {
                    int[] part = Arrays.copyOfRange(sequence, at, at + piece);
                    assertEquals(at, cache.length());
                    NDArray logits = lm.forward(store, ids(manager, part), cache);
                    assertEquals(new Shape(1, piece, vocab), logits.getShape());
                    for (int t = 0; t < piece; t++) {
                        float[] row = logits.get(0, t).toFloatArray();
                        for (int v = 0; v < vocab; v++) {
                            worst = Math.max(worst, Math.abs(row[v] - expected[at + t][v]));
                        }
                    }
                    at += piece;
                }
                assertEquals(sequence.length, cache.length());
            }
            System.out.printf(
                    "%s: cached vs full forward, %d pieces, max |logit diff| %.2e%n", name, pieces.size(), worst);
            assertTrue(worst <= TOLERANCE, name + " " + pieces + ": max |cached - full| = " + worst);
        }
    }

    private static List<Integer> pieces(int first, int size, int count) {
        List<Integer> pieces = new ArrayList<>(List.of(first));
        for (int i = 0; i < count; i++) {
            pieces.add(size);
        }
        return pieces;
    }

    private static NDArray ids(NDManager manager, int[] tokens) {
        long[] ids = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            ids[i] = tokens[i];
        }
        return manager.create(ids, new Shape(1, tokens.length));
    }
}
