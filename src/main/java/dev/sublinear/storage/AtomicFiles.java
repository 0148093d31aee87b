package dev.sublinear.storage;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/**
 * Files replaced whole or not at all, and durably: the content goes to a temporary file beside the
 * target (0600 on POSIX file systems), is forced to disk, renamed over the target, and then the
 * folder is forced so that the rename survives a crash as well. A write that fails deletes its
 * temporary file and leaves the target as it was. Temporary files are named {@code .writing-*.tmp}:
 * {@link #list} skips them, and {@link #isTemporary} tells those a killed process left behind.
 */
public final class AtomicFiles {

    /** How the name of every temporary file starts. */
    public static final String TEMPORARY_PREFIX = ".writing-";

    private static final String TEMPORARY_SUFFIX = ".tmp";
    private static final int BUFFER_BYTES = 1 << 16;
    private static final FileAttribute<?> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private AtomicFiles() {}

    /** What goes into a file; it may close {@code out} or leave it open. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Replaces {@code target} (or creates it) with what {@code content} writes, or leaves it as it was. */
    public static void write(Path target, Content content) throws IOException {
        try (Staged staged = stage(target, content)) {
            staged.commit();
        }
    }

    /**
     * Writes {@code content} to a temporary file beside {@code target} and forces it to disk, but
     * does not rename it yet: for a caller with something to do first (write a checksum, say).
     * Closing what this returns without {@link Staged#commit() committing} it deletes the file.
     */
    public static Staged stage(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path temporary = createTemporary(absolute.getParent());
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temporary), BUFFER_BYTES)) {
                content.writeTo(out);
            }
            force(temporary);
            return new Staged(temporary, absolute, Files.size(temporary));
        } catch (IOException | RuntimeException | Error e) {
            deleteAfterFailure(temporary, e);
            throw e;
        }
    }

    /** An empty temporary file in {@code folder}, 0600: for a probe of whether the folder can be written. */
    public static Path createTemporary(Path folder) throws IOException {
        FileAttribute<?>[] attributes =
                folder.getFileSystem().supportedFileAttributeViews().contains("posix")
                        ? new FileAttribute<?>[] {PRIVATE_FILE}
                        : new FileAttribute<?>[0];
        return Files.createTempFile(folder, TEMPORARY_PREFIX, TEMPORARY_SUFFIX, attributes);
    }

    /** Whether {@code file} is the temporary file of a write: in progress, or never finished. */
    public static boolean isTemporary(Path file) {
        return file.getFileName().toString().startsWith(TEMPORARY_PREFIX);
    }

    /** What {@code folder} holds but temporary files, by name. */
    public static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(p -> !isTemporary(p)).sorted().toList();
        }
    }

    /** A temporary file written and forced to disk, waiting to be renamed over its target. */
    public static final class Staged implements Closeable {

        private final Path temporary;
        private final Path target;
        private final long bytes;
        private boolean committed;

        private Staged(Path temporary, Path target, long bytes) {
            this.temporary = temporary;
            this.target = target;
            this.bytes = bytes;
        }

        /** The size of what was written. */
        public long bytes() {
            return bytes;
        }

        /** Renames the file over its target and forces the folder, so that the rename is on disk too. */
        public void commit() throws IOException {
            if (committed) {
                throw new IllegalStateException(target + " is committed already");
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
            forceFolder(target.getParent());
        }

        /** Deletes the file unless it was committed. */
        @Override
        public void close() throws IOException {
            if (!committed) {
                Files.deleteIfExists(temporary);
            }
        }
    }

    private static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static void forceFolder(Path folder) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(folder, StandardOpenOption.READ);
        } catch (IOException e) {
            return; // a system that cannot open a folder (Windows) keeps its renames without being asked
        }
        try (channel) {
            channel.force(true);
        }
    }

    private static void deleteAfterFailure(Path temporary, Throwable failure) {
        try {
            Files.deleteIfExists(temporary);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
