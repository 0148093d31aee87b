package dev.sublinear.api;

import dev.sublinear.jobs.FileRecord;
import java.util.List;

/** A file as clients see it. */
public record FileObject(String id, String object, long bytes, String filename, String purpose, String status,
        String statusDetails, List<String> tasks, String sha256, long createdAt) {

    static FileObject of(FileRecord f) {
        return new FileObject(f.id(), "file", f.bytes(), f.filename(), f.purpose(), f.status(), f.statusDetails(),
                f.taskIds(), f.sha256(), f.createdAt() / 1000);
    }
}
