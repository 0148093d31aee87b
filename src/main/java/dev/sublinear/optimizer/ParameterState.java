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

    private int step;
    private NDArray lastAlpha;
    private NDArray lastUpdateRms;

    ParameterState(Shape shape, DataType dataType, SecondMoment secondMoment, NDArray momentum, int step) {
        this.shape = shape;
        this.dataType = dataType;
        this.secondMoment = secondMoment;
        this.momentum = momentum;
        this.step = step;
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

    long stateBytes() {
        long bytes = 0;
        for (NDArray array : arrays()) {
            bytes += array.size() * array.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    void tempAttachTo(NDManager step) {
        for (NDArray array : arrays()) {
            array.tempAttach(step);
        }
    }

    /** Keeps this step's 0-d alpha and update RMS (still on the device) in {@code owner}. */
    void record(NDArray alpha, NDArray updateRms, NDManager owner) {
        if (lastAlpha != null) {
            lastAlpha.close();
            lastUpdateRms.close();
        }
        alpha.attach(owner);
        updateRms.attach(owner);
        lastAlpha = alpha;
        lastUpdateRms = updateRms;
    }

    NDArray lastAlpha() {
        return lastAlpha;
    }

    NDArray lastUpdateRms() {
        return lastUpdateRms;
    }
}
