package dev.sublinear.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Creates the data directory at start-up, failing start-up with its path when that is impossible,
 * and keeps it private: the directory and every folder in it 0700, every file 0600 (it holds the
 * embedded database, tenants' data and their keys' hashes). Files made before the service runs
 * (the database, at its first connection) are tightened once start-up is done.
 */
@Component
public class DataDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(DataDirectory.class);
    private static final Set<PosixFilePermission> PRIVATE_FOLDER = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

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
        tighten(path);
        LOG.info("Data directory {}", path);
    }

    @EventListener(ApplicationReadyEvent.class)
    void tightenAll() {
        try (Stream<Path> tree = Files.walk(path)) {
            tree.forEach(DataDirectory::tighten);
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("Could not make everything under {} private: {}", path, e.getMessage());
        }
    }

    /** 0700 for a folder, 0600 for a file; a file that vanished meanwhile is no matter. */
    private static void tighten(Path p) {
        if (!p.getFileSystem().supportedFileAttributeViews().contains("posix") || Files.isSymbolicLink(p)) {
            return;
        }
        try {
            Files.setPosixFilePermissions(p, Files.isDirectory(p) ? PRIVATE_FOLDER : PRIVATE_FILE);
        } catch (NoSuchFileException e) {
            // removed while we walked
        } catch (IOException e) {
            throw new UncheckedIOException("sublinear.data-dir: cannot make " + p + " private", e);
        }
    }

    public Path path() {
        return path;
    }
}
