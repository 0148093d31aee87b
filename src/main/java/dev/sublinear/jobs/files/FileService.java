package dev.sublinear.jobs.files;

import dev.sublinear.jobs.common.ConflictException;
import dev.sublinear.jobs.common.Ids;
import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.common.JobReferences;
import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.common.Page;
import dev.sublinear.jobs.common.QuotaExceededException;
import dev.sublinear.jobs.common.StoredBytes;
import dev.sublinear.jobs.tenants.TenantLimits;
import dev.sublinear.jobs.tenants.Tenants;
import dev.sublinear.storage.ArtifactInfo;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.training.PrivateFiles;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.DataProblem;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelArchive;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.model.PretrainedArchive;
import dev.sublinear.training.model.PretrainedModels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.springframework.stereotype.Service;

/**
 * Uploads, validation and deletion of files. A fine-tune file is checked against every task at
 * upload, so that a job can be refused at creation when its file does not suit its task; a model
 * file is unpacked and its configuration checked.
 */
@Service
public class FileService {

    /** Problems listed in a message; the rest are counted. */
    private static final int LISTED_PROBLEMS = 20;

    private final FileStore files;
    private final JobReferences jobs;
    private final ArtifactStore artifacts;
    private final JobsProperties properties;
    private final Tenants tenants;
    private final StoredBytes stored;
    private final Clock clock;
    private final LocalDirectories directories;
    private final int longestContext;

    public FileService(
            FileStore files,
            JobReferences jobs,
            ArtifactStore artifacts,
            JobsProperties properties,
            Tenants tenants,
            StoredBytes stored,
            Clock clock,
            LocalDirectories directories) {
        this.files = files;
        this.jobs = jobs;
        this.artifacts = artifacts;
        this.properties = properties;
        this.tenants = tenants;
        this.stored = stored;
        this.clock = clock;
        this.directories = directories;
        this.longestContext = ModelCatalog.names().stream()
                .mapToInt(n ->
                        ModelCatalog.get(n, List.of("a", "b")).orElseThrow().contextLength())
                .max()
                .orElseThrow();
    }

    /** An upload's bytes, stored before its purpose is known (a multipart form may name it after the file). */
    public record ReceivedFile(
            String id, String tenantId, String filename, String key, ArtifactInfo info, long storedBefore) {}

    public FileRecord upload(String tenantId, String filename, String purpose, InputStream content) throws IOException {
        checkPurpose(purpose);
        return accept(receive(tenantId, filename, content), purpose);
    }

    /** Refuses anything but {@code fine-tune} and {@code model}. */
    public static void checkPurpose(String purpose) {
        if (FileRecord.FINE_TUNE_RESULTS.equals(purpose)) {
            throw new InvalidRequestException(
                    "purpose",
                    "purpose '" + FileRecord.FINE_TUNE_RESULTS + "' is for the results files the service writes when"
                            + " a job ends; upload with purpose '" + FileRecord.FINE_TUNE + "' or '" + FileRecord.MODEL
                            + "'");
        }
        if (!FileRecord.FINE_TUNE.equals(purpose) && !FileRecord.MODEL.equals(purpose)) {
            throw new InvalidRequestException(
                    "purpose",
                    "purpose must be '" + FileRecord.FINE_TUNE + "' or '" + FileRecord.MODEL + "', not '"
                            + InvalidRequestException.echo(purpose) + "'");
        }
    }

    /** Stores an upload's bytes within the tenant's limits; nothing is kept when this throws. */
    public ReceivedFile receive(String tenantId, String filename, InputStream content) throws IOException {
        FileNames.check(filename);
        TenantLimits limits = tenants.limits(tenantId);
        long storedBefore = stored.of(tenantId);
        if (storedBefore >= limits.maxStorageBytes()) {
            throw new QuotaExceededException(
                    "file",
                    "the tenant stores " + storedBefore + " bytes, its limit" + " (max_storage_bytes "
                            + limits.maxStorageBytes() + "); delete files or models first");
        }
        String id = Ids.next("file");
        String key = artifactKey(tenantId, id);
        ArtifactInfo info = artifacts.put(key, content, Math.min(properties.maxFileBytes(), limits.maxUploadBytes()));
        ReceivedFile received = new ReceivedFile(id, tenantId, filename, key, info, storedBefore);
        if (info.bytes() == 0) {
            discard(received);
            throw new InvalidRequestException("file", "the file is empty");
        }
        if (storedBefore + info.bytes() > limits.maxStorageBytes()) {
            discard(received);
            throw new QuotaExceededException(
                    "file",
                    "storing " + info.bytes() + " more bytes would pass the tenant's" + " limit (max_storage_bytes "
                            + limits.maxStorageBytes() + ", " + storedBefore + " used)");
        }
        return received;
    }

    /** Removes the bytes of an upload that will not be kept. */
    public void discard(ReceivedFile file) throws IOException {
        artifacts.delete(file.key());
    }

    /**
     * Validates a received upload for its purpose, reading it as a stream (memory stays flat
     * whatever the file's size), and records it; an unusable one is discarded with every problem.
     */
    public FileRecord accept(ReceivedFile file, String purpose) throws IOException {
        try {
            checkPurpose(purpose);
            TenantLimits limits = tenants.limits(file.tenantId());
            if (FileRecord.FINE_TUNE.equals(purpose)) {
                long lines = countLines(file.key());
                if (lines > limits.maxUploadLines()) {
                    throw new InvalidRequestException(
                            "file",
                            "the file has " + lines + " lines; the limit is " + limits.maxUploadLines()
                                    + " (max_upload_lines)");
                }
            }
            Validation validation =
                    FileRecord.FINE_TUNE.equals(purpose) ? validateExamples(file.key()) : validateModel(file.key());
            if (validation.tasks().isEmpty()) {
                // nothing unusable is kept: the client learns every problem now, with its line
                throw new InvalidRequestException("file", validation.details(), validation.problems());
            }
            ArtifactInfo info = validation.stored() != null ? validation.stored() : file.info();
            FileRecord record = new FileRecord(
                    file.id(),
                    file.tenantId(),
                    file.filename(),
                    purpose,
                    info.bytes(),
                    info.sha256(),
                    FileRecord.PROCESSED,
                    null,
                    validation.tasks(),
                    file.key(),
                    clock.millis());
            files.insert(record);
            return record;
        } catch (IOException | RuntimeException e) {
            discard(file);
            throw e;
        }
    }

    /**
     * Stores the bytes of a file the service writes itself (a job's results file): not validated,
     * and not refused for the tenant's storage limit (a job's end cannot be refused; the bytes still
     * count towards the limit). The row is the caller's to insert with {@link #insertWritten}, in
     * its own transaction, or the bytes to delete with {@link #discardWritten}.
     */
    public FileRecord write(String tenantId, String filename, String purpose, byte[] content) throws IOException {
        String id = Ids.next("file");
        String key = artifactKey(tenantId, id);
        ArtifactInfo info = artifacts.put(key, new ByteArrayInputStream(content), content.length);
        return new FileRecord(
                id,
                tenantId,
                filename,
                purpose,
                info.bytes(),
                info.sha256(),
                FileRecord.PROCESSED,
                null,
                Set.of(),
                key,
                clock.millis());
    }

    /** Records a file {@link #write} stored. */
    public void insertWritten(FileRecord file) {
        files.insert(file);
    }

    /** Deletes the bytes of a file {@link #write} stored whose row will not be inserted. */
    public void discardWritten(FileRecord file) throws IOException {
        artifacts.delete(file.artifactKey());
    }

    /** Where a file's bytes are stored: under its tenant, by its id. */
    private static String artifactKey(String tenantId, String fileId) {
        return "tenants/" + tenantId + "/files/" + fileId;
    }

    /** The tenant's file, if it has one by that id. */
    public Optional<FileRecord> find(String tenantId, String id) {
        return files.find(tenantId, id);
    }

    public FileRecord get(String tenantId, String id) {
        return files.find(tenantId, id).orElseThrow(() -> new NotFoundException("file", id, "file_id"));
    }

    public InputStream content(FileRecord file) throws IOException {
        return artifacts.open(file.artifactKey());
    }

    public Page<FileRecord> list(String tenantId, String purpose, String after, boolean oldestFirst, int limit) {
        return files.list(tenantId, purpose, after, oldestFirst, limit);
    }

    /** Deletes a file that no unfinished job needs. */
    public void delete(String tenantId, String id) throws IOException {
        FileRecord file = get(tenantId, id);
        List<String> users = jobs.unfinishedJobsUsing(tenantId, id);
        if (!users.isEmpty()) {
            throw new ConflictException(
                    "file_id",
                    "file " + id + " is in use by unfinished job(s) " + users + "; cancel them or wait until they end");
        }
        files.delete(tenantId, id);
        jobs.forgetResultFile(tenantId, id);
        artifacts.delete(file.artifactKey());
    }

    private long countLines(String key) throws IOException {
        long lines = 0;
        boolean open = false;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = artifacts.open(key)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                        open = false;
                    } else {
                        open = true;
                    }
                }
            }
        }
        return open ? lines + 1 : lines;
    }

    /** A check's outcome; {@code stored} is what replaced the upload's bytes, or null when they stay. */
    private record Validation(Set<TaskType> tasks, String details, List<String> problems, ArtifactInfo stored) {}

    private Validation validateExamples(String key) throws IOException {
        Set<TaskType> suited = EnumSet.noneOf(TaskType.class);
        Map<TaskType, List<DataProblem>> problems = new TreeMap<>();
        for (TaskType task : TaskType.values()) {
            // no model yet: messages rows are checked for their shape; their template and length at job creation
            DatasetReader reader = new DatasetReader(task, new ByteTokenizer(), longestContext, 1).beforeModelIsKnown();
            try (InputStream in = artifacts.open(key)) {
                reader.validate(in);
                suited.add(task);
            } catch (InvalidDataException e) {
                problems.put(task, e.problems());
            }
        }
        if (!suited.isEmpty()) {
            return new Validation(suited, null, List.of(), null);
        }
        // the task whose format the file is closest to explains best what is wrong
        Map.Entry<TaskType, List<DataProblem>> closest = problems.entrySet().stream()
                .min(Comparator.comparingInt(e -> e.getValue().size()))
                .orElseThrow();
        return new Validation(
                suited,
                describe(closest.getKey(), closest.getValue()),
                closest.getValue().stream()
                        .limit(100)
                        .map(p -> (p.line() > 0 ? "line " + p.line() : "file")
                                + (p.field() != null ? ", field '" + p.field() + "'" : "") + ": " + p.message())
                        .toList(),
                null);
    }

    public static String describe(TaskType task, List<DataProblem> problems) {
        Stream<String> listed = problems.stream()
                .limit(LISTED_PROBLEMS)
                .map(p -> (p.line() > 0 ? "line " + p.line() : "file")
                        + (p.field() != null ? ", field '" + p.field() + "'" : "") + ": " + p.message());
        String more =
                problems.size() > LISTED_PROBLEMS ? "\n… and " + (problems.size() - LISTED_PROBLEMS) + " more" : "";
        return "not a valid " + task.id() + " file (" + problems.size() + " problem(s)):\n"
                + listed.collect(Collectors.joining("\n")) + more;
    }

    /**
     * Unpacks a model upload and checks it: ours (config.json and model.params) by its configuration;
     * a Hugging Face directory (zip or tar.gz) by loading it as a job would. A Hugging Face upload is
     * then stored as the zip of what was checked, so that workers and inference read one format and
     * never the files the check skipped.
     */
    private Validation validateModel(String key) throws IOException {
        // in the private scratch folder, not /tmp: start-up clears what a killed check left there
        Files.createDirectories(directories.work());
        Path folder = Files.createTempDirectory(directories.work(), "model-check-");
        Path directory = folder.resolve("model");
        // a bound for zip bombs, and never past what a worker unpacks of a base model
        long limit = Math.min(properties.maxFileBytes() * 4, properties.maxModelBytes());
        try {
            try (InputStream in = artifacts.open(key)) {
                ModelArchive.extract(in, directory, limit);
            }
            if (!PretrainedModels.isPretrained(directory)) {
                TaskType task = LoadedModel.readConfig(directory.resolve(LoadedModel.CONFIG_FILE))
                        .task();
                return new Validation(EnumSet.of(task), null, List.of(), null);
            }
            TaskType task = PretrainedModels.check(directory).task();
            Path zip = folder.resolve("model.zip");
            try (OutputStream out = PrivateFiles.createFile(zip)) {
                PretrainedArchive.zip(directory, out);
            }
            ArtifactInfo stored;
            try (InputStream in = Files.newInputStream(zip)) {
                stored = artifacts.put(key, in, limit);
            }
            return new Validation(EnumSet.of(task), null, List.of(), stored);
        } catch (IOException | IllegalArgumentException e) {
            // whatever stops the archive from unpacking (a truncated zip, a bomb, a bad entry) is the upload's fault
            String message = String.valueOf(e.getMessage())
                    .replaceFirst("^invalid model archive: ", "")
                    .replace(directory + "/", "")
                    .replace(directory.toString(), "the archive")
                    .replace(folder.toString(), "the archive");
            return new Validation(
                    EnumSet.noneOf(TaskType.class), "not a usable model archive: " + message, List.of(), null);
        } finally {
            LocalDirectories.deleteTree(folder);
        }
    }
}
