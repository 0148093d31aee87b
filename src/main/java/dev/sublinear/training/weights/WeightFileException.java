package dev.sublinear.training.weights;

import java.io.IOException;
import java.nio.file.Path;

/** A weights file that cannot be read as it is: names the file and, where there is one, the key. */
public final class WeightFileException extends IOException {

    private final transient Path file;
    private final String key;

    public WeightFileException(Path file, String key, String problem) {
        this(file, key, problem, null);
    }

    public WeightFileException(Path file, String key, String problem, Throwable cause) {
        super(file + (key == null ? "" : ", key \"" + key + "\"") + ": " + problem, cause);
        this.file = file;
        this.key = key;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The tensor or header key at fault, or null when the fault is the file's as a whole. */
    public String key() {
        return key;
    }
}
