package dev.sublinear.training.run;

import java.nio.file.Path;

/** Where a run's starting model comes from. */
public sealed interface ModelSource permits ModelSource.Catalog, ModelSource.Saved, ModelSource.FromCheckpoint {

    /** A catalog architecture initialised from the run's seed. */
    record Catalog(String name) implements ModelSource {}

    /** A saved model directory: an earlier job's output, or an uploaded archive once extracted. */
    record Saved(Path directory) implements ModelSource {}

    /** The model inside a checkpoint of a (possibly other) run. */
    record FromCheckpoint(CheckpointStore store, String name) implements ModelSource {}
}
