package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * What Adafactor keeps for one parameter on one device, and its latest step's diagnostics.
 *
 * <p>The second moment follows the paper's algorithm 4 for a factored parameter [..., n, m]: the
 * row sums R [..., n] and column sums C [..., m] of the moving average of G^2 + eps1, standing in for
 * the full estimate with the rank-1 V = R C^T / sum(R) (leading dimensions are batch dimensions);
 * and algorithm 5 otherwise: the full moving average V, shaped like the parameter.
 *
 * <p>The arrays may be views into a buffer shared with other parameters of the same shape ({@link
 * ParameterGroups}), which then own the memory; {@link #moveTo} points them there.
 */
final class ParameterState {

    final Shape shape;
    final DataType dataType;
    final boolean factored;
    final boolean hasMomentum;

    /** The state arrays never change size: their bytes are counted once (DJL shape reads are JNI calls). */
    private final long stateBytes;

    /** R and C, or V; then M when beta1 &gt; 0. */
    private List<NDArray> arrays;

    private int step;
    private float hostAlpha;
    private float hostUpdateRms;
    private StepFigures deviceFigures;
    private int figureIndex;
    private CpuWorkspace workspace;

    ParameterState(
            Shape shape, DataType dataType, boolean factored, List<NDArray> arrays, boolean hasMomentum, int step) {
        this.shape = shape;
        this.dataType = dataType;
        this.factored = factored;
        this.hasMomentum = hasMomentum;
        this.arrays = List.copyOf(arrays);
        this.step = step;
        long bytes = 0;
        for (NDArray array : arrays) {
            bytes += array.size() * array.getDataType().getNumOfBytes();
        }
        this.stateBytes = bytes;
    }

    /** Shapes of R and C for a parameter shape [..., n, m]: [..., n] and [..., m]. */
    static Shape[] factoredShapes(Shape parameter) {
        int rank = parameter.dimension();
        Shape batch = parameter.slice(0, rank - 2);
        return new Shape[] {
            batch.addAll(new Shape(parameter.get(rank - 2))), batch.addAll(new Shape(parameter.get(rank - 1)))
        };
    }

    /** The shapes of the state arrays, in {@link #arrays()} order. */
    static List<Shape> arrayShapes(Shape parameter, boolean factored, boolean momentum) {
        List<Shape> shapes = new ArrayList<>(factored ? List.of(factoredShapes(parameter)) : List.of(parameter));
        if (momentum) {
            shapes.add(parameter);
        }
        return shapes;
    }

    /** Advances the step count; the first update is t = 1. */
    int nextStep() {
        return ++step;
    }

    int step() {
        return step;
    }

    /** The state arrays in save order: R and C, or V; then M if present. */
    List<NDArray> arrays() {
        return arrays;
    }

    /** M, or null when beta1 = 0. */
    NDArray momentum() {
        return hasMomentum ? arrays.get(arrays.size() - 1) : null;
    }

    /**
     * Points the state at {@code moved}: arrays of the same shapes and values, now held elsewhere
     * (views into a group's buffer, or copies out of one). The caller frees the old arrays.
     */
    void moveTo(List<NDArray> moved) {
        arrays = List.copyOf(moved);
    }

    /** Bytes of the state arrays held (their sizes are fixed when the state is created). */
    long stateBytes() {
        return stateBytes;
    }

    void tempAttachTo(NDManager step) {
        for (NDArray array : arrays()) {
            array.tempAttach(step);
        }
    }

    /** Keeps element {@code index} of an engine step's figures, which stay on the device. */
    void record(StepFigures figures, int index) {
        dropDeviceFigures();
        deviceFigures = figures;
        figureIndex = index;
    }

    /** Keeps this step's alpha and update RMS computed on the host. */
    void record(float alpha, float updateRms) {
        dropDeviceFigures();
        hostAlpha = alpha;
        hostUpdateRms = updateRms;
    }

    private void dropDeviceFigures() {
        if (deviceFigures != null) {
            deviceFigures.release();
            deviceFigures = null;
        }
    }

    /** The latest engine step's figures (still on the device), or null after a fused step. */
    StepFigures deviceFigures() {
        return deviceFigures;
    }

    /** This parameter's element in {@link #deviceFigures()}. */
    int figureIndex() {
        return figureIndex;
    }

    float hostAlpha() {
        return hostAlpha;
    }

    float hostUpdateRms() {
        return hostUpdateRms;
    }

    /** The fused CPU path's work buffers, sized for this parameter and split. */
    CpuWorkspace workspace(long rows, long columns) {
        if (workspace == null || !workspace.fits(rows, columns)) {
            workspace = new CpuWorkspace(rows, columns);
        }
        return workspace;
    }

    long workspaceBytes() {
        return workspace == null ? 0 : workspace.bytes();
    }
}
