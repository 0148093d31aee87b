package dev.sublinear.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads Adafactor's latest step figures (alpha_t, RMS(U)) out of its {@link StateTable}. The engine-op
 * path leaves them on the device; they are read with one device-to-host transfer per device.
 */
final class Diagnostics {

    private Diagnostics() {}

    /** The latest step of every parameter updated so far; clipping fired where RMS(U) &gt; d. */
    static StepDiagnostics read(StateTable table, float clipThreshold) {
        Map<String, List<Map.Entry<String, ParameterState>>> byDevice = new TreeMap<>();
        for (Map.Entry<String, Map<Device, ParameterState>> e :
                table.byParameter().entrySet()) {
            for (Map.Entry<Device, ParameterState> d : e.getValue().entrySet()) {
                if (d.getValue().step() > 0) {
                    byDevice.computeIfAbsent(d.getKey().toString(), k -> new ArrayList<>())
                            .add(Map.entry(e.getKey(), d.getValue()));
                }
            }
        }
        Map<String, ParameterDiagnostics> result = new TreeMap<>();
        for (List<Map.Entry<String, ParameterState>> onDevice : byDevice.values()) {
            float[] values = readScalars(onDevice);
            for (int i = 0; i < onDevice.size(); i++) {
                String id = onDevice.get(i).getKey();
                float rms = values[2 * i + 1];
                // Every device applies the same step to a parameter: the first one answers.
                result.putIfAbsent(
                        id,
                        new ParameterDiagnostics(
                                id, onDevice.get(i).getValue().step(), values[2 * i], rms, rms > clipThreshold));
            }
        }
        return StepDiagnostics.of(new ArrayList<>(result.values()));
    }

    /** A single parameter's 0-d figure as a 1-element view (kept in {@code views} to be closed), else itself. */
    private static NDArray asVector(NDArray figure, NDList views) {
        if (figure.getShape().dimension() > 0) {
            return figure;
        }
        NDArray view = figure.reshape(1);
        views.add(view);
        return view;
    }

    /** {alpha, RMS(U)} per state, with one device-to-host transfer for the figures still on the device. */
    private static float[] readScalars(List<Map.Entry<String, ParameterState>> states) {
        float[] values = new float[states.size() * 2];
        // a grouped step's parameters share their figures: each array is read once
        Map<StepFigures, Integer> offsets = new IdentityHashMap<>();
        NDList onDevice = new NDList();
        NDList views = new NDList();
        long length = 0;
        for (int i = 0; i < states.size(); i++) {
            ParameterState s = states.get(i).getValue();
            StepFigures f = s.deviceFigures();
            if (f == null) {
                values[2 * i] = s.hostAlpha();
                values[2 * i + 1] = s.hostUpdateRms();
            } else if (!offsets.containsKey(f)) {
                offsets.put(f, (int) length);
                onDevice.add(asVector(f.alphas, views));
                onDevice.add(asVector(f.updateRms, views));
                length += 2 * f.alphas.size();
            }
        }
        if (onDevice.isEmpty()) {
            return values;
        }
        float[] read;
        try (NDArray joined = NDArrays.concat(onDevice)) {
            read = joined.toFloatArray();
        } finally {
            views.close();
        }
        for (int i = 0; i < states.size(); i++) {
            ParameterState s = states.get(i).getValue();
            StepFigures f = s.deviceFigures();
            if (f != null) {
                int at = offsets.get(f);
                int count = (int) f.alphas.size();
                values[2 * i] = read[at + s.figureIndex()];
                values[2 * i + 1] = read[at + count + s.figureIndex()];
            }
        }
        return values;
    }
}
