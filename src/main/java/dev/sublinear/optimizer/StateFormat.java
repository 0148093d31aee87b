package dev.sublinear.optimizer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The header every saved optimizer state starts with: a magic number naming the optimizer, a format
 * version and the number of parameters that follow. A stream of another optimizer, another version
 * or a negative count is refused before anything is read into state.
 *
 * @param magic the optimizer's four bytes
 * @param version the format version this code writes and reads
 * @param optimizer the optimizer's name, for errors
 */
record StateFormat(int magic, int version, String optimizer) {

    void writeHeader(DataOutputStream data, int parameters) throws IOException {
        data.writeInt(magic);
        data.writeInt(version);
        data.writeInt(parameters);
    }

    /** Checks the header and returns the number of parameters that follow. */
    int readHeader(DataInputStream data) throws IOException {
        if (data.readInt() != magic) {
            throw new IOException("not an " + optimizer + " state: bad magic number");
        }
        int found = data.readInt();
        if (found != version) {
            throw new IOException("unsupported " + optimizer + " state version " + found);
        }
        int count = data.readInt();
        if (count < 0) {
            throw new IOException("corrupt " + optimizer + " state: " + count + " parameters");
        }
        return count;
    }
}
