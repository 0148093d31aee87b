package dev.sublinear.jobs;

import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.files.FileService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A job's results file ({@code step_metrics.csv}, purpose {@code fine-tune-results}): OpenAI's
 * columns, then ours, one row per recorded step. Written when the job ends after at least one
 * step, whoever ends it (its worker, the lease reaper, a client's cancel of a paused job).
 *
 * <p>Once, durably: the file's bytes are stored first, then its row, its link from the job and the
 * job's terminal status are written in one transaction. Either the job ended with its results file
 * or it did not end (and the bytes are deleted again): no crash between the two can leave an ended
 * job without its file, nor a second file for one job. When the bytes cannot be stored (the
 * artifact store is full or down) the job still ends, without a results file: its figures stay in
 * {@code /metrics}, and ending a job never waits for the store.
 */
@Service
public class ResultsFiles {

    private static final Logger LOG = LoggerFactory.getLogger(ResultsFiles.class);

    /** OpenAI's file name for a fine-tuning job's results. */
    public static final String FILENAME = "step_metrics.csv";

    /** OpenAI's columns first (the order its results files have), then ours. */
    static final String HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,"
            + "learning_rate,update_rms,clip_rate,tokens_per_second,resident_bytes";

    private final MetricStore metrics;
    private final FileService files;
    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;

    public ResultsFiles(MetricStore metrics, FileService files, JdbcClient jdbc, TransactionTemplate transactions) {
        this.metrics = metrics;
        this.files = files;
        this.jdbc = jdbc;
        this.transactions = transactions;
    }

    /**
     * Ends the job through {@code transition} (a conditional update to a terminal status, true when
     * it took effect) and records its results file in the same transaction.
     *
     * @return what {@code transition} returned
     */
    public boolean end(JobRecord job, BooleanSupplier transition) {
        FileRecord file = write(job);
        boolean ended;
        try {
            ended = Boolean.TRUE.equals(transactions.execute(status -> {
                if (!transition.getAsBoolean()) {
                    return false;
                }
                if (file != null) {
                    files.insertWritten(file);
                    jdbc.sql("UPDATE jobs SET result_file = ? WHERE id = ?")
                            .params(file.id(), job.id())
                            .update();
                }
                return true;
            }));
        } catch (RuntimeException e) {
            discard(file);
            throw e;
        }
        if (!ended) {
            discard(file);
        }
        return ended;
    }

    /** Stores the CSV's bytes; null when the job recorded no step, or the store refused them. */
    private FileRecord write(JobRecord job) {
        List<MetricPoint> points = metrics.all(job.id());
        if (points.isEmpty()) {
            return null;
        }
        try {
            return files.write(
                    job.tenantId(),
                    FILENAME,
                    FileRecord.FINE_TUNE_RESULTS,
                    csv(points).getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Job {}: its results file could not be stored; the job ends without one", job.id(), e);
            return null;
        }
    }

    private void discard(FileRecord file) {
        if (file == null) {
            return;
        }
        try {
            files.discardWritten(file);
        } catch (IOException | RuntimeException e) {
            // its key names no row: the leftover cleanup deletes it
            LOG.warn("Cannot delete the unused results file {}", file.artifactKey(), e);
        }
    }

    /** The CSV: a header line, then one line per step; a value a step does not have is an empty cell. */
    static String csv(List<MetricPoint> points) {
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        for (MetricPoint p : points) {
            out.append(p.columns().stream()
                            .map(v -> v == null ? "" : v.toString())
                            .collect(Collectors.joining(",")))
                    .append('\n');
        }
        return out.toString();
    }
}
