package dev.sublinear.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The binary form of Adafactor's state: a header, then per parameter its id, step count, layout
 * and state arrays in DJL's own NDArray encoding (which carries shape and type).
 */
final class AdafactorCheckpoint {

    private static final StateFormat FORMAT = new StateFormat(0x534c4146, 1, "Adafactor"); // "SLAF"
    private static final int MAX_ARRAYS = 3;

    private AdafactorCheckpoint() {}

    /**
     * Writes every parameter's state under its name ({@code names}: id to name; ids not in it are
     * written as they are). Every device of a parameter applies the same aggregated gradient, so one
     * device's copy is written.
     */
    static void save(OutputStream out, StateTable table, Map<String, String> names) throws IOException {
        Map<String, ParameterState> primary = new TreeMap<>();
        for (Map.Entry<String, Map<Device, ParameterState>> e :
                table.byParameter().entrySet()) {
            String name = names.getOrDefault(e.getKey(), e.getKey());
            e.getValue().values().stream().findFirst().ifPresent(s -> primary.put(name, s));
        }
        write(out, primary);
    }

    /** Reads state written by {@link #save}, keyed by parameter id ({@code ids}: name to id). */
    static Map<String, Entry> load(InputStream in, Map<String, String> ids) throws IOException {
        Map<String, Entry> byId = new LinkedHashMap<>();
        for (Map.Entry<String, Entry> e : read(in).entrySet()) {
            byId.put(ids.getOrDefault(e.getKey(), e.getKey()), e.getValue());
        }
        return byId;
    }

    static void write(OutputStream out, Map<String, ParameterState> states) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        FORMAT.writeHeader(data, states.size());
        for (Map.Entry<String, ParameterState> e : states.entrySet()) {
            ParameterState state = e.getValue();
            data.writeUTF(e.getKey());
            data.writeInt(state.step());
            data.writeBoolean(state.factored);
            data.writeBoolean(state.hasMomentum);
            List<NDArray> arrays = state.arrays();
            data.writeInt(arrays.size());
            for (NDArray array : arrays) {
                byte[] encoded = array.encode();
                data.writeInt(encoded.length);
                data.write(encoded);
            }
        }
        data.flush();
    }

    static Map<String, Entry> read(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int count = FORMAT.readHeader(data);
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String id = data.readUTF();
            int step = data.readInt();
            boolean factored = data.readBoolean();
            boolean momentum = data.readBoolean();
            int arrayCount = data.readInt();
            if (step < 0 || arrayCount < 1 || arrayCount > MAX_ARRAYS) {
                throw new IOException("corrupt Adafactor state for " + id);
            }
            List<byte[]> arrays = new ArrayList<>(arrayCount);
            for (int a = 0; a < arrayCount; a++) {
                int length = data.readInt();
                if (length < 0) {
                    throw new IOException("corrupt Adafactor state for " + id);
                }
                byte[] encoded = data.readNBytes(length);
                if (encoded.length != length) {
                    throw new IOException("truncated Adafactor state for " + id);
                }
                arrays.add(encoded);
            }
            entries.put(id, new Entry(step, factored, momentum, arrays));
        }
        return entries;
    }

    /** One parameter's saved state, kept in encoded form until the parameter's device is known. */
    record Entry(int step, boolean factored, boolean momentum, List<byte[]> arrays) {

        ParameterState restore(
                String id,
                Shape shape,
                DataType type,
                boolean expectFactored,
                boolean expectMomentum,
                NDManager manager) {
            if (factored != expectFactored || momentum != expectMomentum) {
                throw new IllegalArgumentException("saved Adafactor state of "
                        + id
                        + " has factored="
                        + factored
                        + ", momentum="
                        + momentum
                        + " but this optimizer and parameter need factored="
                        + expectFactored
                        + ", momentum="
                        + expectMomentum);
            }
            List<Shape> expected = ParameterState.arrayShapes(shape, factored, momentum);
            if (expected.size() != arrays.size()) {
                throw new IllegalArgumentException("saved Adafactor state of " + id + " has the wrong arrays");
            }
            List<NDArray> decoded = new ArrayList<>();
            for (int i = 0; i < arrays.size(); i++) {
                NDArray array = NDArray.decode(manager, arrays.get(i));
                decoded.add(array);
                if (!array.getShape().equals(expected.get(i)) || array.getDataType() != DataType.FLOAT32) {
                    String found = array.getShape() + " " + array.getDataType();
                    decoded.forEach(NDArray::close);
                    throw new IllegalArgumentException("saved Adafactor state of "
                            + id
                            + " does not fit the parameter of shape "
                            + shape
                            + ": found "
                            + found
                            + ", expected "
                            + expected.get(i)
                            + " float32");
                }
            }
            return new ParameterState(shape, type, factored, decoded, momentum, step);
        }
    }
}
