package dev.sublinear.training.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Where a run keeps its checkpoints. Writes are atomic: a reader sees a whole checkpoint or none.
 * The job service backs this with its artifact store.
 */
public interface CheckpointStore {

    /** Writes what {@code content} produces under {@code name}, atomically. */
    void write(String name, Content content) throws IOException;

    InputStream open(String name) throws IOException;

    /** Names, oldest first. */
    List<String> list() throws IOException;

    void delete(String name) throws IOException;

    long size(String name) throws IOException;

    /** Produces a checkpoint's bytes. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }
}
