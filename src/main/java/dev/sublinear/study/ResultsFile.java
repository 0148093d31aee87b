package dev.sublinear.study;

import dev.sublinear.storage.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The runs of a study kept on disk as they finish (the command's --results): an interrupted study
 * resumes where it stopped, and a finished one re-renders its report without training again.
 */
final class ResultsFile {

    private final Path file;
    /** The settings the runs were made with: runs of another study are never mixed in. */
    private final String settings;

    private final List<RunResult> runs = new ArrayList<>();

    private ResultsFile(Path file, String settings) {
        this.file = file;
        this.settings = settings;
    }

    /** The runs saved in {@code file} by a study of the same settings, or none when it does not exist yet. */
    static ResultsFile open(Path file, StudySettings studySettings) throws IOException {
        ResultsFile results = new ResultsFile(file, studySettings.toString());
        if (file != null && Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file);
                    ObjectInputStream objects = new ObjectInputStream(in)) {
                String saved = objects.readUTF();
                if (!saved.equals(results.settings)) {
                    throw new IOException(
                            file + " holds runs of a study with other settings (" + saved + "); name another file");
                }
                int count = objects.readInt();
                for (int i = 0; i < count; i++) {
                    results.runs.add((RunResult) objects.readObject());
                }
            } catch (ClassNotFoundException | ClassCastException | InvalidClassException e) {
                throw new IOException(file + " is not a results file of this version of the study", e);
            }
        }
        return results;
    }

    /** No file: nothing is kept. */
    static ResultsFile none() {
        return new ResultsFile(null, "");
    }

    Optional<RunResult> find(String variant, long seed) {
        return runs.stream()
                .filter(r -> r.variant().equals(variant) && r.seed() == seed)
                .findFirst();
    }

    /** Adds a run and rewrites the file, whole or not at all. */
    void add(RunResult run) throws IOException {
        runs.add(run);
        if (file == null) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        AtomicFiles.write(file, out -> {
            ObjectOutputStream objects = new ObjectOutputStream(out);
            objects.writeUTF(settings);
            objects.writeInt(runs.size());
            for (RunResult r : runs) {
                objects.writeObject(r);
            }
            objects.flush();
        });
    }
}
