package dev.sublinear.training.weights;

import java.io.Closeable;
import java.io.IOException;

/** Closes every one of several resources even when some fail; the first failure carries the others. */
final class CloseAll {

    private CloseAll() {}

    static void close(Iterable<? extends Closeable> resources) throws IOException {
        IOException failure = null;
        for (Closeable resource : resources) {
            try {
                resource.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
