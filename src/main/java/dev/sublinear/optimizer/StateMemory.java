package dev.sublinear.optimizer;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Adafactor's memory accounting: what its {@link StateTable} holds, per parameter and in total. */
final class StateMemory {

    private StateMemory() {}

    /** Bytes of the state arrays (second moments and momentum), over parameters and devices. */
    static long stateBytes(StateTable table) {
        long bytes = 0;
        for (Map<Device, ParameterState> perDevice : table.byParameter().values()) {
            for (ParameterState state : perDevice.values()) {
                bytes += state.stateBytes();
            }
        }
        return bytes;
    }

    /** Bytes of the work buffers: the engine-op path's one per CPU device, the fused path's vectors. */
    static long scratchBytes(StateTable table) {
        long bytes = table.devices().stream()
                .filter(d -> d.scratch != null)
                .mapToLong(d -> d.scratch.bytes())
                .sum();
        for (Map<Device, ParameterState> perDevice : table.byParameter().values()) {
            for (ParameterState state : perDevice.values()) {
                bytes += state.workspaceBytes();
            }
        }
        return bytes;
    }

    /** Memory per parameter, summed over its devices, in parameter id order. */
    static List<ParameterMemory> byParameter(StateTable table) {
        List<ParameterMemory> result = new ArrayList<>();
        for (Map.Entry<String, Map<Device, ParameterState>> e :
                table.byParameter().entrySet()) {
            long state = 0;
            long adam = 0;
            long parameter = 0;
            ParameterState any = null;
            List<Device> devices = new ArrayList<>();
            for (Map.Entry<Device, ParameterState> d : e.getValue().entrySet()) {
                ParameterState s = d.getValue();
                any = s;
                devices.add(d.getKey());
                state += s.stateBytes();
                adam += 2L * Float.BYTES * s.shape.size();
                parameter += s.shape.size() * s.dataType.getNumOfBytes();
            }
            if (any != null) {
                // Adafactor keeps a second moment for every parameter it updates: factored or full
                ParameterMemory.SecondMomentKind kind = any.factored
                        ? ParameterMemory.SecondMomentKind.FACTORED
                        : ParameterMemory.SecondMomentKind.FULL;
                result.add(new ParameterMemory(
                        e.getKey(), any.shape, any.dataType, devices, kind, state, adam, parameter));
            }
        }
        return result;
    }
}
