package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;

/**
 * One parameter of a {@link Adafactor#updateAll} step.
 *
 * @param parameterId the parameter's id, as DJL passes it to {@code Optimizer.update}
 * @param weight the parameter's array, updated in place
 * @param gradient its gradient, of the weight's shape and type; the step may overwrite it
 */
public record ParameterUpdate(String parameterId, NDArray weight, NDArray gradient) {}
