package dev.sublinear.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Creates the data directory at start-up, failing start-up with its path when that is impossible. */
@Component
public class DataDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(DataDirectory.class);

    private final Path path;

    public DataDirectory(SublinearProperties properties) {
        this.path = properties.dataDir().toAbsolutePath().normalize();
        try {
            Files.createDirectories(path);
        } catch (IOException e) {
            throw new UncheckedIOException("sublinear.data-dir " + path + " cannot be created", e);
        }
        if (!Files.isWritable(path)) {
            throw new IllegalStateException("sublinear.data-dir " + path + " is not writable");
        }
        LOG.info("Data directory {}", path);
    }

    public Path path() {
        return path;
    }
}
