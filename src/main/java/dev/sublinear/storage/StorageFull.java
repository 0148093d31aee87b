package dev.sublinear.storage;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Whether a failure comes from a full disk, wherever it surfaced: the artifact store, the embedded
 * database (H2 wraps the file channel's IOException) or PostgreSQL (SQLSTATE 53100, disk_full).
 */
public final class StorageFull {

    private static final String POSTGRES_DISK_FULL = "53100";

    private StorageFull() {}

    public static boolean causedBy(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof SQLException s && POSTGRES_DISK_FULL.equals(s.getSQLState())) {
                return true;
            }
            // the kernel's words for ENOSPC and EDQUOT, which the JDK passes on as the message
            if (t instanceof IOException
                    && t.getMessage() != null
                    && (t.getMessage().contains("No space left on device")
                            || t.getMessage().contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }
}
