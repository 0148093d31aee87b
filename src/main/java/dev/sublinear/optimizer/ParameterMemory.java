package dev.sublinear.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Memory of one parameter, summed over the devices it lives on.
 *
 * @param parameterId the parameter
 * @param shape its shape
 * @param dataType the parameter's own type (Adafactor's state is float32 whatever it is)
 * @param devices the devices holding a copy of it and its state
 * @param secondMoment how its second moment is kept
 * @param stateBytes bytes of the optimizer state arrays held for it now
 * @param adamEquivalentBytes what Adam would hold for it: two float32 tensors of its size per device
 * @param parameterBytes bytes of the parameter itself, per device
 */
public record ParameterMemory(
        String parameterId,
        Shape shape,
        DataType dataType,
        List<Device> devices,
        SecondMomentKind secondMoment,
        long stateBytes,
        long adamEquivalentBytes,
        long parameterBytes) {

    public ParameterMemory {
        devices = List.copyOf(devices);
    }

    /** How the second-moment estimate of a parameter is stored. */
    public enum SecondMomentKind {
        /** Row and column sums of a matrix (or of each matrix of a batch): n + m values for n x m. */
        FACTORED,
        /** One value per element. */
        FULL,
        /** No second moment is kept for it. */
        NONE
    }

    /** Whether its second moment is factored into row and column sums. */
    public boolean factored() {
        return secondMoment == SecondMomentKind.FACTORED;
    }
}
