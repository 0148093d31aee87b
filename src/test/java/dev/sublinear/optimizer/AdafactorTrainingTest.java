package dev.sublinear.optimizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** A small MLP regression through EasyTrain: Adafactor with its defaults against DJL's Adam. */
class AdafactorTrainingTest {

    private static final int SAMPLES = 512;
    private static final int FEATURES = 8;
    private static final int EPOCHS = 30;

    @Test
    void trainsAnMlpAboutAsWellAsAdam() throws IOException, TranslateException {
        float[] adafactor = train(Adafactor.builder().build());
        float[] adam = train(
                Adam.builder().optLearningRateTracker(Tracker.fixed(1e-2f)).build());
        System.out.printf(
                "MLP regression, validation MSE: Adafactor %.5f -> %.5f, Adam %.5f -> %.5f%n",
                adafactor[0], adafactor[1], adam[0], adam[1]);
        assertTrue(adafactor[1] < 0.2f * adafactor[0], "Adafactor cut the loss by 5x or more");
        assertTrue(adafactor[1] <= 2f * adam[1], "Adafactor within 2x of Adam's final loss");
    }

    /** Returns {validation loss before training, after}. */
    private static float[] train(Optimizer optimizer) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(42);
            NDArray x = manager.randomUniform(-1f, 1f, new Shape(SAMPLES, FEATURES));
            // a fixed nonlinear target: y = sin(x W1) . w2
            NDArray w1 = manager.randomNormal(new Shape(FEATURES, 4));
            NDArray w2 = manager.randomNormal(new Shape(4, 1));
            NDArray y = x.matMul(w1).sin().matMul(w2);
            ArrayDataset train = dataset(x.get("0:384"), y.get("0:384"));
            ArrayDataset valid = dataset(x.get("384:"), y.get("384:"));

            SequentialBlock block = new SequentialBlock()
                    .add(Linear.builder().setUnits(64).build())
                    .add(Activation::relu)
                    .add(Linear.builder().setUnits(64).build())
                    .add(Activation::relu)
                    .add(Linear.builder().setUnits(1).build());
            try (Model model = Model.newInstance("mlp")) {
                model.setBlock(block);
                try (Trainer trainer =
                        model.newTrainer(new DefaultTrainingConfig(new MeanSquaredError()).optOptimizer(optimizer))) {
                    trainer.initialize(new Shape(32, FEATURES));
                    NDArray xValid = x.get("384:");
                    NDArray yValid = y.get("384:");
                    float before = validationLoss(trainer, xValid, yValid);
                    EasyTrain.fit(trainer, EPOCHS, train, valid);
                    return new float[] {before, validationLoss(trainer, xValid, yValid)};
                }
            }
        }
    }

    private static float validationLoss(Trainer trainer, NDArray x, NDArray y) {
        NDArray prediction = trainer.evaluate(new NDList(x)).singletonOrThrow();
        return new MeanSquaredError()
                .evaluate(new NDList(y), new NDList(prediction))
                .getFloat();
    }

    private static ArrayDataset dataset(NDArray x, NDArray y) {
        return new ArrayDataset.Builder()
                .setData(x)
                .optLabels(y)
                .setSampling(32, true)
                .build();
    }
}
