package dev.sublinear.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file is replaced whole or not at all, and what a write leaves behind while or after it fails is never listed. */
class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void writesAndReplacesAFileLeavingNothingElse() throws Exception {
        Path target = dir.resolve("a.bin");
        AtomicFiles.write(target, out -> out.write(bytes("first")));
        AtomicFiles.write(target, out -> {
            out.write(bytes("second"));
            out.close(); // a writer may close the stream it was given
        });
        assertThat(Files.readString(target)).isEqualTo("second");
        assertThat(names(dir)).containsExactly("a.bin");
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFileAndNoPartialTarget() throws Exception {
        Path kept = dir.resolve("kept.bin");
        AtomicFiles.write(kept, out -> out.write(bytes("before")));
        IOException failure = new IOException("disk went away");
        Path fresh = dir.resolve("fresh.bin");
        for (Path target : List.of(kept, fresh)) {
            IOException thrown = assertThrows(
                    IOException.class,
                    () -> AtomicFiles.write(target, out -> {
                        out.write(new byte[200_000]); // past the buffer: part of it is on disk when the write fails
                        throw failure;
                    }));
            assertThat(thrown).isSameAs(failure);
        }
        assertThrows(
                IllegalStateException.class,
                () -> AtomicFiles.write(fresh, out -> {
                    out.write(1);
                    throw new IllegalStateException("a bug in the writer");
                }));
        assertThat(Files.readString(kept)).isEqualTo("before");
        assertThat(fresh).doesNotExist();
        assertThat(names(dir)).containsExactly("kept.bin");
    }

    @Test
    void aRenameThatFailsDeletesTheTemporaryFile() throws Exception {
        Path occupied = Files.createDirectories(dir.resolve("occupied"));
        Files.writeString(occupied.resolve("inside"), "x"); // a non-empty folder cannot be replaced by a file
        assertThrows(IOException.class, () -> AtomicFiles.write(occupied, out -> out.write(bytes("data"))));
        assertThat(names(dir)).containsExactly("occupied");
        assertThat(names(occupied)).containsExactly("inside");
    }

    @Test
    void aStagedFileIsInvisibleUntilCommittedAndGoneIfNot() throws Exception {
        Path target = dir.resolve("data.bin");
        try (AtomicFiles.Staged staged = AtomicFiles.stage(target, out -> out.write(bytes("12345")))) {
            assertThat(staged.bytes()).isEqualTo(5);
            assertThat(target).doesNotExist();
            assertThat(AtomicFiles.list(dir)).isEmpty();
            assertThat(names(dir))
                    .singleElement()
                    .satisfies(n -> assertThat(n).startsWith(AtomicFiles.TEMPORARY_PREFIX));
        }
        assertThat(names(dir)).isEmpty();

        try (AtomicFiles.Staged staged = AtomicFiles.stage(target, out -> out.write(bytes("12345")))) {
            staged.commit();
        }
        assertThat(Files.readString(target)).isEqualTo("12345");
        assertThat(names(dir)).containsExactly("data.bin");
    }

    @Test
    void listingSkipsTemporaryFiles() throws Exception {
        AtomicFiles.write(dir.resolve("b.ckpt"), out -> out.write(1));
        AtomicFiles.write(dir.resolve("a.ckpt"), out -> out.write(1));
        Path leftover = AtomicFiles.createTemporary(dir); // as a killed writer leaves it
        Files.writeString(dir.resolve(".writing-123.tmp"), "cut off");
        assertThat(AtomicFiles.isTemporary(leftover)).isTrue();
        assertThat(AtomicFiles.isTemporary(dir.resolve("a.ckpt"))).isFalse();
        assertThat(AtomicFiles.list(dir)).containsExactly(dir.resolve("a.ckpt"), dir.resolve("b.ckpt"));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
