package dev.sublinear.training.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import dev.sublinear.optimizer.Adafactor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The step {@link TrainingLoop} takes, {@link OptimizerStep#run}: on a model of several layers
 * (matrices, biases, norms of shared shapes) it moves every parameter as {@code Trainer.step()}
 * with the same optimizer does, on the fused kernels and on the engine-op path, where the small
 * parameters are stepped as groups. The optimizer's numbers themselves are checked against a
 * double-precision reference in the optimizer's tests.
 */
class OptimizerStepTest {

    private static final String KERNELS = "sublinear.adafactor.cpuKernels";

    @ParameterizedTest(name = "fused CPU kernels: {0}")
    @ValueSource(booleans = {true, false})
    void movesEveryParameterAsTrainerStepDoes(boolean cpuKernels) {
        System.setProperty(KERNELS, Boolean.toString(cpuKernels));
        try (Twin viaTrainer = new Twin();
                Twin viaStep = new Twin()) {
            for (int step = 0; step < 6; step++) {
                viaTrainer.backward(step);
                viaTrainer.trainer.step();
                viaStep.backward(step);
                OptimizerStep.run(viaStep.trainer, viaStep.optimizer);
                List<NDArray> a = viaTrainer.parameters();
                List<NDArray> b = viaStep.parameters();
                for (int p = 0; p < a.size(); p++) {
                    float[] x = a.get(p).toFloatArray();
                    float[] y = b.get(p).toFloatArray();
                    for (int i = 0; i < x.length; i++) {
                        assertEquals(x[i], y[i], 1e-5f * Math.abs(x[i]) + 1e-7f, "step " + step + " parameter " + p);
                    }
                    assertEquals(
                            0f,
                            b.get(p).getGradient().abs().sum().getFloat(),
                            "the step zeroes every gradient: parameter " + p);
                }
            }
            assertEquals(viaTrainer.optimizer.stateBytes(), viaStep.optimizer.stateBytes());
            assertTrue(viaStep.optimizer.diagnostics().parameters().size() >= 10);
        } finally {
            System.clearProperty(KERNELS);
        }
    }

    /** A model of three linear layers and two norms (biases and norm weights of shared shapes). */
    private static final class Twin implements AutoCloseable {
        final Model model = Model.newInstance("twin");
        final Adafactor optimizer = Adafactor.builder().build();
        final Trainer trainer;
        final NDManager manager;

        Twin() {
            SequentialBlock block = new SequentialBlock()
                    .add(Linear.builder().setUnits(16).build())
                    .add(LayerNorm.builder().build())
                    .add(Linear.builder().setUnits(16).build())
                    .add(LayerNorm.builder().build())
                    .add(Linear.builder().setUnits(16).build());
            block.setInitializer(new NormalInitializer(0.2f), Parameter.Type.WEIGHT);
            model.setBlock(block);
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(optimizer));
            manager = model.getNDManager();
            // the same seed: both twins start from the same weights
            Engine.getInstance().setRandomSeed(11);
            trainer.initialize(new Shape(4, 16));
        }

        void backward(int step) {
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = trainer.newGradientCollector()) {
                NDArray input = scope.arange(64f).reshape(4, 16).div(64f).add(step * 0.1f);
                NDArray target = scope.arange(64f).reshape(4, 16).sin();
                NDList out = trainer.forward(new NDList(input));
                collector.backward(trainer.getLoss().evaluate(new NDList(target), out));
            }
        }

        List<NDArray> parameters() {
            List<NDArray> arrays = new ArrayList<>();
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                arrays.add(p.getValue().getArray().toType(DataType.FLOAT32, false));
            }
            return arrays;
        }

        @Override
        public void close() {
            optimizer.close();
            trainer.close();
            model.close();
        }
    }
}
