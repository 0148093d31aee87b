package dev.sublinear.jobs;

import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.models.ModelRecord;
import dev.sublinear.training.data.TaskType;
import java.nio.file.Path;

/** What a job's {@code model} field names, resolved for its tenant. */
public sealed interface BaseModel {

    TaskType task();

    /** A catalog architecture, trained from random initialisation. */
    record Catalog(String name, TaskType task) implements BaseModel {}

    /** An earlier job's fine-tuned model. */
    record FineTuned(ModelRecord model) implements BaseModel {
        public TaskType task() {
            return model.task();
        }
    }

    /** A checkpoint of an earlier (or running) job. */
    record FromCheckpoint(CheckpointRecord checkpoint, TaskType task) implements BaseModel {}

    /** A Hugging Face model in the operator's models directory, read in place. */
    record System(String name, Path directory, TaskType task) implements BaseModel {}

    /** A model archive uploaded with purpose {@code model}. */
    record Uploaded(FileRecord file, TaskType task) implements BaseModel {}
}
