package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/** What Adafactor keeps for one parameter on one device, and its latest step's diagnostics. */
final class ParameterState {

    final Shape shape;
    final DataType dataType;
    final SecondMoment secondMoment;
    /** The momentum M, or null when beta1 = 0. */
    final NDArray momentum;

    /** The state arrays never change size: their bytes are counted once (DJL shape reads are JNI calls). */
    private final long stateBytes;

    private int step;
    private NDArray lastAlpha;
    private NDArray lastUpdateRms;
    private float hostAlpha;
    private float hostUpdateRms;
    private CpuWorkspace workspace;

    ParameterState(Shape shape, DataType dataType, SecondMoment secondMoment, NDArray momentum, int step) {
        this.shape = shape;
        this.dataType = dataType;
        this.secondMoment = secondMoment;
        this.momentum = momentum;
        this.step = step;
        long bytes = 0;
        for (NDArray array : arrays()) {
            bytes += array.size() * array.getDataType().getNumOfBytes();
        }
        this.stateBytes = bytes;
    }

    /** Advances the step count; the first update is t = 1. */
    int nextStep() {
        return ++step;
    }

    int step() {
        return step;
    }

    /** The state arrays in save order: the second moment's, then M if present. */
    List<NDArray> arrays() {
        List<NDArray> arrays = new ArrayList<>(secondMoment.arrays());
        if (momentum != null) {
            arrays.add(momentum);
        }
        return arrays;
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

    /** Keeps this step's 0-d alpha and update RMS (still on the device) in {@code owner}. */
    void record(NDArray alpha, NDArray updateRms, NDManager owner) {
        dropDeviceFigures();
        alpha.attach(owner);
        updateRms.attach(owner);
        lastAlpha = alpha;
        lastUpdateRms = updateRms;
    }

    /** Keeps this step's alpha and update RMS computed on the host. */
    void record(float alpha, float updateRms) {
        dropDeviceFigures();
        hostAlpha = alpha;
        hostUpdateRms = updateRms;
    }

    private void dropDeviceFigures() {
        if (lastAlpha != null) {
            lastAlpha.close();
            lastUpdateRms.close();
            lastAlpha = null;
            lastUpdateRms = null;
        }
    }

    /** Whether the latest figures are still on the device (read them with one transfer). */
    boolean figuresOnDevice() {
        return lastAlpha != null;
    }

    NDArray lastAlpha() {
        return lastAlpha;
    }

    NDArray lastUpdateRms() {
        return lastUpdateRms;
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
