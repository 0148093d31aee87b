package dev.sublinear.training.run;

import ai.djl.training.Trainer;

/** One optimizer step over every trained parameter of a model: what {@link TrainingLoop} runs after backward. */
public final class OptimizerStep {

    private OptimizerStep() {}

    /**
     * Updates every parameter from its accumulated gradient and zeroes the gradients.
     *
     * @param trainer the trainer whose model and optimizer take the step
     */
    public static void run(Trainer trainer) {
        trainer.step();
    }
}
