package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The binary form of Adam's state: a header (magic, version, count), then per parameter its name,
 * step count and its moments m and v in DJL's own NDArray encoding (which carries shape and type).
 */
final class AdamCheckpoint {

    private static final StateFormat FORMAT = new StateFormat(0x534c4144, 1, "Adam"); // "SLAD"

    private AdamCheckpoint() {}

    /** Writes one device's moments per parameter, keyed by the name to write. */
    static void write(OutputStream out, Map<String, AdamMoments> moments) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        FORMAT.writeHeader(data, moments.size());
        for (Map.Entry<String, AdamMoments> e : moments.entrySet()) {
            data.writeUTF(e.getKey());
            data.writeInt(e.getValue().step());
            writeArray(data, e.getValue().mean);
            writeArray(data, e.getValue().variance);
        }
        data.flush();
    }

    /** Reads what {@link #write} wrote, keyed by the name written. */
    static Map<String, Entry> read(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int count = FORMAT.readHeader(data);
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = data.readUTF();
            int step = data.readInt();
            if (step < 0) {
                throw new IOException("corrupt Adam state for " + name);
            }
            entries.put(name, new Entry(step, readArray(data, name), readArray(data, name)));
        }
        return entries;
    }

    private static void writeArray(DataOutputStream data, NDArray array) throws IOException {
        byte[] encoded = array.encode();
        data.writeInt(encoded.length);
        data.write(encoded);
    }

    private static byte[] readArray(DataInputStream data, String name) throws IOException {
        int length = data.readInt();
        if (length < 0) {
            throw new IOException("corrupt Adam state for " + name);
        }
        byte[] encoded = data.readNBytes(length);
        if (encoded.length != length) {
            throw new IOException("truncated Adam state for " + name);
        }
        return encoded;
    }

    /** One parameter's saved state, kept encoded until the parameter's device is known. */
    record Entry(int step, byte[] mean, byte[] variance) {

        /** The moments on {@code manager}'s device, checked against the parameter's shape and type. */
        AdamMoments restore(String id, Shape shape, DataType type, NDManager manager) {
            NDArray m = NDArray.decode(manager, mean);
            NDArray v = NDArray.decode(manager, variance);
            for (NDArray a : new NDArray[] {m, v}) {
                if (!a.getShape().equals(shape) || a.getDataType() != type) {
                    String found = a.getShape() + " " + a.getDataType();
                    m.close();
                    v.close();
                    throw new IllegalArgumentException("saved Adam state of " + id
                            + " does not fit the parameter: found " + found + ", expected " + shape + " " + type);
                }
            }
            return new AdamMoments(m, v, step);
        }
    }
}
