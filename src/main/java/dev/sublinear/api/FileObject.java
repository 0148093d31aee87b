package dev.sublinear.api;

import dev.sublinear.jobs.files.FileRecord;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** A file as clients see it. */
@Schema(
        description = "An uploaded, validated file. `status` is `processed`: an unusable upload is refused with"
                + " its problems line by line and never stored.",
        example = "{\"id\": \"file-abc123\", \"object\": \"file\", \"bytes\": 2602, "
                + "\"filename\": \"train.jsonl\", \"purpose\": \"fine-tune\", "
                + "\"status\": \"processed\", \"status_details\": null, "
                + "\"tasks\": [\"causal-lm\"], \"sha256\": \"958f35dd…\", \"created_at\": 1795586213}")
public record FileObject(
        String id,
        String object,
        long bytes,
        String filename,
        String purpose,
        String status,
        @Schema(types = {"string", "null"}) String statusDetails,
        List<String> tasks,
        String sha256,
        long createdAt) {

    static FileObject of(FileRecord f) {
        return new FileObject(
                f.id(),
                "file",
                f.bytes(),
                f.filename(),
                f.purpose(),
                f.status(),
                f.statusDetails(),
                f.taskIds(),
                f.sha256(),
                f.createdAt() / 1000);
    }
}
