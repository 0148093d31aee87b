package dev.sublinear.api;

import dev.sublinear.jobs.files.FileRecord;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * A file as clients see it, with every field of OpenAI's file object. {@code purpose} {@code model}
 * (a pretrained model's zip) is ours: openai-java's {@code validate()} knows OpenAI's purposes only.
 */
@Schema(
        description = "An uploaded, validated file. `status` is `processed`: an unusable upload is refused with"
                + " its problems line by line and never stored. `expires_at` is always null: files are kept until"
                + " deleted.",
        example = "{\"id\": \"file-abc123\", \"object\": \"file\", \"bytes\": 2602, "
                + "\"filename\": \"train.jsonl\", \"purpose\": \"fine-tune\", "
                + "\"status\": \"processed\", \"expires_at\": null, \"status_details\": null, "
                + "\"tasks\": [\"causal-lm\"], \"sha256\": \"958f35dd…\", \"created_at\": 1795586213}")
public record FileObject(
        String id,
        String object,
        long bytes,
        String filename,
        String purpose,
        String status,
        @Schema(types = {"integer", "null"}) Long expiresAt,
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
                null,
                f.statusDetails(),
                f.taskIds(),
                f.sha256(),
                f.createdAt() / 1000);
    }
}
