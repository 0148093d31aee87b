package dev.sublinear.jobs;

import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.storage.ArtifactInfo;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.training.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Removes at start-up what a killed process (kill -9, the OOM killer, a power cut) left behind, in
 * every role:
 * <ul>
 *   <li>job work folders (a tenant's training data, unpacked weights): at start-up no job runs in
 *       this process, and the worker's id is new, so every one is dead;</li>
 *   <li>unpacked copies of models that were deleted;</li>
 *   <li>artifacts no database row names (an upload stored but never recorded, a model or
 *       checkpoint written by an attempt that died before recording it) and temporary files of
 *       writes cut off, once untouched for {@code sublinear.jobs.orphan-grace}.</li>
 * </ul>
 * The artifact store is shared in a cluster: another replica may be mid-upload (an upload is
 * stored, checked, then recorded) or mid-checkpoint, so only what is older than the grace period
 * goes, and checkpoints of unfinished jobs are left to their runs. Everything removed is logged.
 */
@Component
public class LeftoverCleanup implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(LeftoverCleanup.class);
    /** Held while the process lives: a second process on the same data folder leaves its work alone. */
    private static final String LOCK_FILE = ".lock";

    private static final Pattern FILE = Pattern.compile("tenants/[^/]+/files/[^/]+");
    private static final Pattern MODEL = Pattern.compile("models/[^/]+");
    private static final Pattern CHECKPOINT = Pattern.compile("jobs/([^/]+)/checkpoints/[^/]+");

    private final LocalDirectories directories;
    private final ArtifactStore artifacts;
    private final JdbcClient jdbc;
    private final JobsProperties properties;
    private final Clock clock;
    private FileChannel lockChannel;
    private volatile boolean running;

    public LeftoverCleanup(
            LocalDirectories directories,
            ArtifactStore artifacts,
            JdbcClient jdbc,
            JobsProperties properties,
            Clock clock) {
        this.directories = directories;
        this.artifacts = artifacts;
        this.jdbc = jdbc;
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public void start() {
        running = true;
        try {
            PrivateFiles.createFolders(directories.work());
            PrivateFiles.createFolders(directories.models());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "the scratch folders " + directories.work() + " and " + directories.models() + " cannot be created",
                    e);
        }
        try {
            removeWorkFolders();
            removeUnpackedModels();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Removing leftovers of an earlier process failed; continuing without", e);
        }
        // the store may be large and shared: looked through beside the start, not before it
        Thread sweep = new Thread(this::removeOrphanedArtifacts, "orphaned-artifacts");
        sweep.setDaemon(true);
        sweep.start();
    }

    private void removeWorkFolders() throws IOException {
        lockChannel = FileChannel.open(
                directories.work().resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // another service in this JVM
        }
        if (lock == null) {
            LOG.warn("Another process works in {}; its job folders are left alone", directories.work());
            return;
        }
        for (Path entry : entries(directories.work())) {
            if (!entry.getFileName().toString().equals(LOCK_FILE)) {
                remove(entry, "job work folder of an earlier process");
            }
        }
    }

    private void removeUnpackedModels() throws IOException {
        Set<String> jobsWithModels = new HashSet<>(
                jdbc.sql("SELECT job_id FROM models").query(String.class).list());
        for (Path entry : entries(directories.models())) {
            if (!jobsWithModels.contains(entry.getFileName().toString())) {
                remove(entry, "unpacked copy of a deleted model");
            }
        }
    }

    private static List<Path> entries(Path folder) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            entries.forEach(found::add);
        }
        return found;
    }

    private static void remove(Path path, String what) {
        LocalDirectories.deleteTree(path);
        LOG.info("Removed {}: {}", what, path);
    }

    private void removeOrphanedArtifacts() {
        Instant before = clock.instant().minus(properties.orphanGrace());
        try {
            for (ArtifactInfo a : artifacts.deleteAbandonedWrites(before)) {
                LOG.info(
                        "Removed the temporary file of a write cut off at {}: {} ({} bytes)",
                        a.modified(),
                        a.key(),
                        a.bytes());
            }
            // listed before the rows are read: an artifact recorded meanwhile is found recorded
            List<ArtifactInfo> stored = new ArrayList<>();
            for (String prefix : List.of("tenants/", "models/", "jobs/")) {
                stored.addAll(artifacts.list(prefix));
            }
            Set<String> recorded =
                    new HashSet<>(jdbc.sql("""
                    SELECT artifact_key FROM files UNION SELECT artifact_key FROM models
                    UNION SELECT artifact_key FROM checkpoints""").query(String.class).list());
            Set<String> unfinished =
                    new HashSet<>(jdbc.sql("SELECT id FROM jobs WHERE status IN " + JobStore.UNFINISHED)
                            .query(String.class)
                            .list());
            long bytes = 0;
            int count = 0;
            for (ArtifactInfo a : stored) {
                if (!running) {
                    return;
                }
                if (recorded.contains(a.key()) || !a.modified().isBefore(before) || !orphanable(a.key(), unfinished)) {
                    continue;
                }
                if (artifacts.delete(a.key())) {
                    LOG.info(
                            "Removed an artifact no database row names, last written at {}: {} ({} bytes)",
                            a.modified(),
                            a.key(),
                            a.bytes());
                    bytes += a.bytes();
                    count++;
                }
            }
            if (count > 0) {
                LOG.info("Removed {} orphaned artifact(s), {} bytes", count, bytes);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Looking for orphaned artifacts failed; they stay until the next start", e);
        }
    }

    /** Files, models and checkpoints of jobs that ended; never a key of a kind this does not know. */
    private static boolean orphanable(String key, Set<String> unfinishedJobs) {
        if (FILE.matcher(key).matches() || MODEL.matcher(key).matches()) {
            return true;
        }
        Matcher checkpoint = CHECKPOINT.matcher(key);
        return checkpoint.matches() && !unfinishedJobs.contains(checkpoint.group(1));
    }

    @Override
    public void stop() {
        running = false;
        try {
            if (lockChannel != null) {
                lockChannel.close(); // releases the lock
            }
        } catch (IOException e) {
            LOG.debug("Closing the work folder's lock", e);
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the web server (phase MAX - 2048) and the worker (MAX - 1000): nothing runs yet. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 4096;
    }
}
