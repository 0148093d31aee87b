package dev.sublinear.training.run;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.optimizer.ParameterUpdate;
import java.util.ArrayList;
import java.util.List;

/**
 * One optimizer step over every trained parameter of a model: what {@link TrainingLoop} runs after
 * backward.
 *
 * <p>Adafactor on one device steps the whole model in one call ({@link Adafactor#updateAll}), which
 * batches the small parameters on the engine-op path and hands over each parameter's own gradient
 * instead of the copy {@code Trainer.step()} makes of every gradient. Elsewhere (other optimizers,
 * several devices, where DJL's parameter store keeps per-device copies and sums their gradients) it
 * is {@code Trainer.step()}.
 */
public final class OptimizerStep {

    private OptimizerStep() {}

    /**
     * Updates every parameter from its accumulated gradient and zeroes the gradients.
     *
     * @param trainer the trainer whose model takes the step
     * @param optimizer the optimizer the trainer was configured with
     */
    public static void run(Trainer trainer, Optimizer optimizer) {
        Device[] devices = trainer.getDevices();
        if (!(optimizer instanceof Adafactor adafactor) || devices.length != 1) {
            trainer.step();
            return;
        }
        List<ParameterUpdate> updates = new ArrayList<>();
        try {
            for (Pair<String, Parameter> p : trainer.getModel().getBlock().getParameters()) {
                Parameter parameter = p.getValue();
                if (!parameter.requiresGradient()) {
                    continue;
                }
                NDArray weight = parameter.getArray();
                if (!weight.getDevice().equals(devices[0])) {
                    // the parameter store trains a copy on the trainer's device: its step applies
                    updates.forEach(u -> u.gradient().close());
                    updates.clear();
                    trainer.step();
                    return;
                }
                updates.add(new ParameterUpdate(parameter.getId(), weight, weight.getGradient()));
            }
            adafactor.updateAll(updates);
        } finally {
            // handles to the gradients: closing them leaves the gradients themselves in place
            updates.forEach(u -> u.gradient().close());
        }
    }
}
