package dev.sublinear.storage;

import java.io.IOException;

/** An artifact larger than its limit: nothing was stored. */
public final class ArtifactTooLargeException extends IOException {

    private final long limit;

    public ArtifactTooLargeException(String key, long limit) {
        super("artifact " + key + " is larger than the limit of " + limit + " bytes");
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }
}
