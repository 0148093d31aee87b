package dev.sublinear.optimizer;

import static dev.sublinear.optimizer.StepFixtures.gaussian;
import static dev.sublinear.optimizer.StepFixtures.train;
import static dev.sublinear.optimizer.StepFixtures.weights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.WarmUpTracker;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Adam} against DJL's Adam and AdamW, an independent implementation of the same update, and
 * its state across a save and a load.
 */
class AdamTest {

    private static final Shape[] SHAPES = {new Shape(8, 6), new Shape(2, 5, 3), new Shape(7), new Shape()};
    private static final float WEIGHT_DECAY = 0.05f;

    /** Adam (weight decay in the gradient) and AdamW (decoupled), each ours and DJL's. */
    enum Variant {
        ADAM,
        ADAMW;

        Adam ours() {
            Adam.Builder b = this == ADAM ? Adam.builder() : Adam.adamWBuilder();
            return b.optLearningRateTracker(schedule())
                    .optBeta1(0.8f)
                    .optBeta2(0.99f)
                    .optEpsilon(1e-7f)
                    .optWeightDecays(WEIGHT_DECAY)
                    .setRescaleGrad(0.5f)
                    .optClipGrad(0.4f)
                    .build();
        }

        Optimizer djl() {
            if (this == ADAM) {
                return Optimizer.adam() // DJL's Adam, beside ours of the same name
                        .optLearningRateTracker(schedule())
                        .optBeta1(0.8f)
                        .optBeta2(0.99f)
                        .optEpsilon(1e-7f)
                        .optWeightDecays(WEIGHT_DECAY)
                        .setRescaleGrad(0.5f)
                        .optClipGrad(0.4f)
                        .build();
            }
            return AdamW.builder()
                    .optLearningRateTracker(schedule())
                    .optBeta1(0.8f)
                    .optBeta2(0.99f)
                    .optEpsilon(1e-7f)
                    .optWeightDecays(WEIGHT_DECAY)
                    .setRescaleGrad(0.5f)
                    .optClipGrad(0.4f)
                    .build();
        }
    }

    /** A rate that depends on t (warm-up, then cosine), so a wrong step count shows. */
    private static ParameterTracker schedule() {
        return WarmUpTracker.builder()
                .setMainTracker(CosineTracker.builder()
                        .setBaseValue(1e-2f)
                        .optFinalValue(1e-4f)
                        .setMaxUpdates(30)
                        .build())
                .optWarmUpSteps(5)
                .optWarmUpBeginValue(1e-3f)
                .optWarmUpMode(WarmUpTracker.Mode.LINEAR)
                .build();
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void equalsDjlStepForStepThroughTheTrainer(Variant variant) {
        Adam ours = variant.ours();
        List<Map<String, float[]>> expected = trainMlp(variant.djl(), 30);
        List<Map<String, float[]>> actual;
        try {
            actual = trainMlp(ours, 30);
        } finally {
            ours.close();
        }
        assertEquals(expected.size(), actual.size());
        assertFalse(equal(expected.get(0), expected.get(29)), "the weights moved");
        for (int step = 0; step < expected.size(); step++) {
            for (String name : expected.get(step).keySet()) {
                assertArrayEquals(
                        expected.get(step).get(name),
                        actual.get(step).get(name),
                        0f,
                        name + " after step " + (step + 1));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void equalsDjlOnEveryShape(Variant variant) {
        Map<String, float[]> expected;
        Map<String, float[]> actual;
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = weights(manager, SHAPES);
            train(variant.djl(), weights, manager, 0, 20);
            expected = values(weights);
        }
        try (NDManager manager = NDManager.newBaseManager();
                Adam optimizer = variant.ours()) {
            Map<String, NDArray> weights = weights(manager, SHAPES);
            train(optimizer, weights, manager, 0, 20);
            actual = values(weights);
            assertEquals(2L * 4 * 86, optimizer.stateBytes(), "m and v, float32, of 86 elements");
            assertEquals(optimizer.stateBytes(), optimizer.adamEquivalentBytes());
            assertTrue(optimizer.lastStepDiagnostics().isEmpty());
            // per parameter: m and v in full, 2 x 4 bytes an element, on the one device
            List<ParameterMemory> byParameter = optimizer.memoryByParameter();
            assertEquals(SHAPES.length, byParameter.size());
            for (ParameterMemory p : byParameter) {
                assertEquals(weights.get(p.parameterId()).getShape(), p.shape());
                assertEquals(8L * p.shape().size(), p.stateBytes(), p.parameterId());
                assertEquals(8L * p.shape().size(), p.adamEquivalentBytes(), p.parameterId());
                assertEquals(ParameterMemory.SecondMomentKind.FULL, p.secondMoment());
                assertEquals(DataType.FLOAT32, p.dataType());
                assertEquals(List.of(manager.getDevice()), p.devices());
            }
        }
        for (String id : expected.keySet()) {
            assertArrayEquals(expected.get(id), actual.get(id), 0f, id);
        }
    }

    /** 20 steps against 10, save, load into a new optimizer (new parameter ids), 10: bit for bit. */
    @ParameterizedTest
    @EnumSource(Variant.class)
    void resumedRunEqualsUninterruptedRun(Variant variant) throws IOException {
        Map<String, float[]> straight;
        try (NDManager manager = NDManager.newBaseManager();
                Adam optimizer = variant.ours()) {
            Map<String, NDArray> weights = weights(manager, SHAPES);
            train(optimizer, weights, manager, 0, 20);
            straight = values(weights);
        }
        Map<String, float[]> resumed = interruptedAt(10, variant::ours, true);
        for (String id : straight.keySet()) {
            assertArrayEquals(straight.get(id), resumed.get(id), 0f, id);
        }
        // The comparison can fail: without the state (fresh moments and t = 1, as DJL's Adam resumed)
        // the second half differs.
        Map<String, float[]> fresh = interruptedAt(10, variant::djl, false);
        assertFalse(equal(straight, fresh), "a resume with fresh moments continues differently");
    }

    @Test
    void refusesStateOfAnotherShapeOrType() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            try (Adam first = Adam.builder().build()) {
                first.update("w", manager.ones(new Shape(4, 3)), manager.ones(new Shape(4, 3)));
                first.saveState(saved);
            }
            try (Adam second = Adam.builder().build()) {
                second.loadState(new ByteArrayInputStream(saved.toByteArray()));
                IllegalArgumentException e = assertThrows(
                        IllegalArgumentException.class,
                        () -> second.update("w", manager.ones(new Shape(5, 3)), manager.ones(new Shape(5, 3))));
                assertTrue(e.getMessage().contains("w") && e.getMessage().contains("(5, 3)"), e.getMessage());
            }
        }
    }

    @Test
    void refusesCorruptOrForeignStreamsAndLateLoads() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                Adam optimizer = Adam.builder().build()) {
            assertThrows(
                    IOException.class,
                    () -> optimizer.loadState(new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})));
            assertThrows(
                    IOException.class, () -> optimizer.loadState(new ByteArrayInputStream(new byte[] {0x53, 0x4c})));
            ByteArrayOutputStream adafactorState = new ByteArrayOutputStream();
            try (Adafactor adafactor = Adafactor.builder().build()) {
                adafactor.update("w", manager.ones(new Shape(3)), manager.ones(new Shape(3)));
                adafactor.saveState(adafactorState);
            }
            IOException e = assertThrows(
                    IOException.class,
                    () -> optimizer.loadState(new ByteArrayInputStream(adafactorState.toByteArray())));
            assertTrue(e.getMessage().contains("Adam"), e.getMessage());

            optimizer.update("w", manager.ones(new Shape(3)), manager.ones(new Shape(3)));
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            optimizer.saveState(saved);
            assertThrows(
                    IllegalStateException.class,
                    () -> optimizer.loadState(new ByteArrayInputStream(saved.toByteArray())));
        }
    }

    @Test
    void refusesInvalidOptionsNamingThem() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Adam.builder().optBeta1(1f).build());
        assertTrue(e.getMessage().startsWith("optBeta1"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Adam.builder().optBeta2(-0.1f).build());
        assertTrue(e.getMessage().startsWith("optBeta2"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Adam.builder().optEpsilon(0f).build());
        assertTrue(e.getMessage().startsWith("optEpsilon"), e.getMessage());
    }

    /** Many steps must leave the number of live NDArrays where it was; close frees the moments. */
    @Test
    void manyStepsLeaveNothingBehind() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = weights(manager, SHAPES);
            Map<String, NDArray> grads = new LinkedHashMap<>();
            weights.forEach((id, w) -> grads.put(id, manager.randomNormal(w.getShape())));
            int before = manager.getManagedArrays().size();
            Adam optimizer = Variant.ADAMW.ours();
            for (int step = 0; step < 5; step++) {
                weights.forEach((id, w) -> optimizer.update(id, w, grads.get(id)));
            }
            int warm = manager.getManagedArrays().size();
            for (int step = 0; step < 2_000; step++) {
                weights.forEach((id, w) -> optimizer.update(id, w, grads.get(id)));
            }
            assertEquals(warm, manager.getManagedArrays().size(), "live NDArrays after 2,000 steps");
            optimizer.close();
            assertEquals(before, manager.getManagedArrays().size(), "live NDArrays after close");
        }
    }

    /**
     * Steps [0, at) with one optimizer, then [at, 20) with a new one, under other parameter ids; with
     * {@code carry}, the state goes across by name.
     */
    private static Map<String, float[]> interruptedAt(int at, Supplier<? extends Optimizer> factory, boolean carry)
            throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = weights(manager, SHAPES);
            Map<String, String> names = new LinkedHashMap<>();
            Map<String, String> ids = new LinkedHashMap<>();
            weights.keySet().forEach(id -> {
                names.put(id, "block/" + id);
                ids.put("block/" + id, id + "-again");
            });
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            Optimizer first = factory.get();
            train(first, weights, manager, 0, at);
            if (carry) {
                ((StatefulOptimizer) first).saveState(saved, names);
            }
            close(first);
            Optimizer second = factory.get();
            if (carry) {
                ((StatefulOptimizer) second).loadState(new ByteArrayInputStream(saved.toByteArray()), ids);
            }
            Map<String, NDArray> renamed = new LinkedHashMap<>();
            weights.forEach((id, w) -> renamed.put(id + "-again", w));
            train(second, renamed, manager, at, 20);
            close(second);
            return values(weights);
        }
    }

    private static void close(Optimizer optimizer) {
        if (optimizer instanceof Adam adam) {
            adam.close();
        }
    }

    /** The MLP's weights (by name) after each of {@code steps} steps of {@code Trainer.step()}. */
    private static List<Map<String, float[]>> trainMlp(Optimizer optimizer, int steps) {
        SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(16).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(1).build());
        List<Map<String, float[]>> history = new ArrayList<>();
        try (Model model = Model.newInstance("mlp");
                NDManager data = NDManager.newBaseManager()) {
            model.setBlock(block);
            model.getNDManager().getEngine().setRandomSeed(11);
            Random random = new Random(3);
            NDArray x = data.create(gaussian(random, 16 * 8), new Shape(16, 8));
            NDArray y = data.create(gaussian(random, 16), new Shape(16, 1));
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(new MeanSquaredError())
                    .optOptimizer(optimizer)
                    .optInitializer(new NormalInitializer(0.1f), Parameter.Type.WEIGHT))) {
                trainer.initialize(new Shape(16, 8));
                for (int step = 0; step < steps; step++) {
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDArray prediction = trainer.forward(new NDList(x)).singletonOrThrow();
                        collector.backward(trainer.getLoss().evaluate(new NDList(y), new NDList(prediction)));
                    }
                    trainer.step();
                    Map<String, float[]> weights = new LinkedHashMap<>();
                    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                        weights.put(p.getKey(), p.getValue().getArray().toFloatArray());
                    }
                    history.add(weights);
                }
            }
        }
        return history;
    }

    private static boolean equal(Map<String, float[]> a, Map<String, float[]> b) {
        return a.keySet().stream().allMatch(k -> Arrays.equals(a.get(k), b.get(k)));
    }

    private static Map<String, float[]> values(Map<String, NDArray> weights) {
        Map<String, float[]> values = new LinkedHashMap<>();
        weights.forEach((k, v) -> values.put(k, v.toFloatArray()));
        return values;
    }
}
