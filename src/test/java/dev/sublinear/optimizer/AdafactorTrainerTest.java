package dev.sublinear.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.Pair;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Adafactor through DJL's real training path: Trainer.step() and the parameter server. */
class AdafactorTrainerTest {

    @ParameterizedTest(name = "fused CPU kernels: {0}")
    @ValueSource(booleans = {true, false})
    void stepZeroesGradientsCountsStepsAndReportsDiagnostics(boolean cpuKernels) {
        ExecutionPaths.with(cpuKernels, () -> {
            Adafactor optimizer = Adafactor.builder().build();
            try (Model model = mlp();
                    Trainer trainer = trainer(model, optimizer);
                    NDManager data = NDManager.newBaseManager()) {
                NDArray x = data.randomNormal(new Shape(16, 8));
                NDArray y = data.randomNormal(new Shape(16, 1));
                for (int step = 1; step <= 3; step++) {
                    trainStep(trainer, x, y);
                    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                        try (NDArray g = p.getValue().getArray().getGradient()) {
                            assertEquals(0f, g.abs().sum().getFloat(), "gradient of " + p.getKey());
                        }
                    }
                }
                StepDiagnostics d = optimizer.diagnostics();
                assertEquals(4, d.parameters().size());
                for (ParameterDiagnostics p : d.parameters()) {
                    assertEquals(3, p.step(), p.parameterId());
                    assertTrue(p.alpha() > 0f && p.updateRms() > 0f, p.toString());
                }
                assertTrue(d.clipRate() >= 0f && d.clipRate() <= 1f);
                assertTrue(optimizer.stateBytes() > 0);
                assertTrue(optimizer.stateBytes() < optimizer.adamEquivalentBytes() / 2);
            } finally {
                optimizer.close();
            }
            return null;
        });
    }

    /** Request or worker threads have PyTorch grad mode on; the in-place update must still work. */
    @Test
    void updatesFromAThreadWithGradModeOnAndRestoresIt() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (NDManager manager = NDManager.newBaseManager();
                Adafactor optimizer = Adafactor.builder().build()) {
            NDArray w = manager.randomNormal(new Shape(6, 4));
            w.setRequiresGradient(true);
            NDArray before = w.duplicate();
            NDArray grad = manager.randomNormal(new Shape(6, 4));
            Future<Boolean> modeAfter = pool.submit(() -> {
                JniUtils.setGradMode(true);
                optimizer.update("w", w, grad);
                return JniUtils.isGradMode();
            });
            assertTrue(modeAfter.get(), "grad mode of the calling thread is restored");
            assertFalse(w.contentEquals(before), "the weight moved");
        } finally {
            pool.shutdownNow();
        }
    }

    /** The two execution paths implement the same equations; on a real model they must agree. */
    @Test
    void fusedKernelsAndEngineOperationsAgree() {
        ExecutionPaths.requireKernels();
        Map<String, float[]> fused = ExecutionPaths.with(true, AdafactorTrainerTest::trainedWeights);
        Map<String, float[]> engine = ExecutionPaths.with(false, AdafactorTrainerTest::trainedWeights);
        for (String id : fused.keySet()) {
            float[] a = fused.get(id);
            float[] b = engine.get(id);
            for (int i = 0; i < a.length; i++) {
                // float32 sums in a different order: allow a few ulps of the weight's scale
                assertEquals(a[i], b[i], 1e-5f * Math.max(1f, Math.abs(a[i])), id + "[" + i + "]");
            }
        }
    }

    private static Map<String, float[]> trainedWeights() {
        Adafactor optimizer = Adafactor.builder()
                .optBeta1(0.9f)
                .optWeightDecays(0.1f)
                .setRescaleGrad(0.5f)
                .build();
        try (Model model = mlp();
                Trainer trainer = trainer(model, optimizer);
                NDManager data = NDManager.newBaseManager()) {
            data.getEngine().setRandomSeed(3);
            NDArray x = data.randomNormal(new Shape(16, 8));
            NDArray y = data.randomNormal(new Shape(16, 1));
            for (int step = 0; step < 25; step++) {
                trainStep(trainer, x, y);
            }
            Map<String, float[]> weights = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                weights.put(p.getKey(), p.getValue().getArray().toFloatArray());
            }
            return weights;
        } finally {
            optimizer.close();
        }
    }

    private static Model mlp() {
        SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(32).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(1).build());
        Model model = Model.newInstance("mlp");
        model.setBlock(block);
        return model;
    }

    private static Trainer trainer(Model model, Adafactor optimizer) {
        model.getNDManager().getEngine().setRandomSeed(11);
        Trainer trainer = model.newTrainer(new DefaultTrainingConfig(new MeanSquaredError())
                .optOptimizer(optimizer)
                .optInitializer(new NormalInitializer(0.1f), Parameter.Type.WEIGHT));
        trainer.initialize(new Shape(16, 8));
        return trainer;
    }

    private static void trainStep(Trainer trainer, NDArray x, NDArray y) {
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDArray prediction = trainer.forward(new NDList(x)).singletonOrThrow();
            NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(prediction));
            collector.backward(loss);
        }
        trainer.step();
    }
}
