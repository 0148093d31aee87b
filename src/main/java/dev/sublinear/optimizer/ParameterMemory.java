package dev.sublinear.optimizer;

import ai.djl.ndarray.types.Shape;

/**
 * Memory of one parameter, summed over the devices it lives on.
 *
 * @param parameterId the parameter
 * @param shape its shape
 * @param factored whether its second moment is factored into row and column sums
 * @param stateBytes bytes of the optimizer state arrays held for it now
 * @param adamEquivalentBytes what Adam would hold for it: two float32 tensors of its size
 * @param parameterBytes bytes of the parameter itself
 */
public record ParameterMemory(
        String parameterId,
        Shape shape,
        boolean factored,
        long stateBytes,
        long adamEquivalentBytes,
        long parameterBytes) {}
