package dev.sublinear.jobs.models;

import ai.djl.Device;
import dev.sublinear.jobs.common.ConflictException;
import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.common.JobReferences;
import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.training.PrivateFiles;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelArchive;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.run.Checkpoint;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.springframework.stereotype.Service;

/**
 * Models a tenant can use: catalog architectures and its fine-tuned models; and inference with
 * them. Loaded models are kept on the CPU (inference is for trying a model out, not for serving
 * traffic) in a {@link ModelCache} within {@code sublinear.inference.model-cache-bytes}; inference
 * runs within {@link Inference}'s limits.
 */
@Service
public class ModelService {

    /** The setting that bounds the cache, as refusals name it. */
    static final String CACHE_SETTING = "sublinear.inference.model-cache-bytes";

    /** The work of one inference call with a loaded model, shared with other calls (only read it). */
    @FunctionalInterface
    public interface ModelWork<T> {
        T run(LoadedModel model, BooleanSupplier stop) throws IOException;
    }

    /**
     * A model to load for inference: {@code key} names it in the cache (per tenant), {@code
     * estimatedBytes} (0 when unknown) makes room before loading.
     */
    public record Loadable(String key, long estimatedBytes, Loader loader) {}

    /** Loads a model (outside the cache's lock). */
    @FunctionalInterface
    public interface Loader {
        LoadedModel load() throws IOException;
    }

    private final ModelStore models;
    private final JobReferences jobs;
    private final ArtifactStore artifacts;
    private final LocalDirectories directories;
    private final Inference inference;
    private final JobsProperties properties;
    private final SystemModels system;
    private final ModelCache loaded;
    /** Held while a fine-tuned model is unpacked or loaded from its directory, and while one is deleted. */
    private final Object unpacking = new Object();

    public ModelService(
            ModelStore models,
            JobReferences jobs,
            ArtifactStore artifacts,
            LocalDirectories directories,
            Inference inference,
            JobsProperties properties,
            InferenceProperties inferenceProperties,
            SystemModels system) {
        this.loaded = new ModelCache(inferenceProperties.modelCacheBytes().toBytes(), CACHE_SETTING);
        this.models = models;
        this.system = system;
        this.inference = inference;
        this.properties = properties;
        this.jobs = jobs;
        this.artifacts = artifacts;
        this.directories = directories;
    }

    /**
     * A model as clients see it: {@code ownedBy} is "sublinear" for the catalog, "system" for the
     * operator's models directory, the tenant otherwise.
     */
    public record ModelInfo(String id, TaskType task, String ownedBy, long createdAt, String baseModel, String jobId) {

        public String taskId() {
            return task.id();
        }
    }

    public List<ModelInfo> list(String tenantId) {
        List<ModelInfo> catalog = ModelCatalog.names().stream()
                .map(n -> new ModelInfo(n, ModelCatalog.taskOf(n), "sublinear", 0, null, null))
                .toList();
        List<ModelInfo> operators =
                system.list().stream().map(ModelService::info).toList();
        List<ModelInfo> fineTuned =
                models.list(tenantId).stream().map(ModelService::info).toList();
        return Stream.of(catalog, operators, fineTuned).flatMap(List::stream).toList();
    }

    /** The tenant's fine-tuned model, if it has one by that id (catalog models have no record). */
    public Optional<ModelRecord> find(String tenantId, String id) {
        return models.find(tenantId, id);
    }

    /** Records a model a job has trained and stored. */
    public void register(ModelRecord model) {
        models.insert(model);
    }

    /** Forgets a registered model's record (its artifact is the caller's to delete). */
    public void unregister(String tenantId, String id) {
        models.delete(tenantId, id);
    }

    public ModelInfo get(String tenantId, String id) {
        if (ModelCatalog.names().contains(id)) {
            return new ModelInfo(id, ModelCatalog.taskOf(id), "sublinear", 0, null, null);
        }
        Optional<SystemModels.SystemModel> operators = system.find(id);
        if (operators.isPresent()) {
            return info(operators.get());
        }
        return models.find(tenantId, id)
                .map(ModelService::info)
                .orElseThrow(() -> new NotFoundException("model", id, "model"));
    }

    public void delete(String tenantId, String id) throws IOException {
        if (ModelCatalog.names().contains(id) || system.find(id).isPresent()) {
            throw new ConflictException("model", "model " + id + " is provided by the service and cannot be deleted");
        }
        ModelRecord model = models.find(tenantId, id).orElseThrow(() -> new NotFoundException("model", id, "model"));
        List<String> users = jobs.unfinishedJobsUsing(tenantId, id);
        if (!users.isEmpty()) {
            throw new ConflictException("model", "model " + id + " is the base of unfinished job(s) " + users);
        }
        models.delete(tenantId, id);
        try {
            artifacts.delete(model.artifactKey());
        } finally {
            // after the row is gone, so that no load finds it again; while no load is unpacking it. A
            // generation using it keeps it until it ends
            synchronized (unpacking) {
                loaded.drop(cacheKey(tenantId, id));
                Path directory = unpacked(model);
                Files.deleteIfExists(directory.resolveSibling(directory.getFileName() + ".unpacked"));
                LocalDirectories.deleteTree(directory);
            }
        }
    }

    /** The archive of a fine-tuned model. */
    public InputStream content(String tenantId, String id) throws IOException {
        ModelRecord model = models.find(tenantId, id).orElseThrow(() -> new NotFoundException("model", id, "model"));
        return artifacts.open(model.artifactKey());
    }

    /**
     * Starts continuing {@code prompt} on an inference thread (see {@link Inference}); an unknown
     * model or one for another task is refused here, before a slot is taken.
     */
    public Inference.Call<String> complete(
            String tenantId, String id, String prompt, int maxTokens, float temperature, long seed) {
        ModelInfo info = require(tenantId, id, TaskType.CAUSAL_LM);
        return run(
                tenantId,
                loadable(tenantId, info),
                maxTokens,
                (model, stop) -> model.generate(prompt, maxTokens, temperature, seed, stop));
    }

    /** Starts classifying {@code text} on an inference thread, as {@link #complete}. */
    public Inference.Call<Map<String, Float>> predict(String tenantId, String id, String text) {
        ModelInfo info = require(tenantId, id, TaskType.CLASSIFICATION);
        return run(tenantId, loadable(tenantId, info), 1, (model, stop) -> {
            if (stop.getAsBoolean()) { // the model loaded while the client left
                throw new CancellationException("prediction not started");
            }
            return model.classify(text);
        });
    }

    /**
     * Starts {@code work} on an inference thread within {@link Inference}'s limits ({@code maxSteps}
     * forward passes expected), with {@code model} loaded (or taken from the cache) and kept open
     * until the work ends.
     *
     * @throws TooManyInferencesException when the tenant or the process is at its limit
     */
    public <T> Inference.Call<T> run(String tenantId, Loadable model, int maxSteps, ModelWork<T> work) {
        return inference.start(tenantId, maxSteps, stop -> {
            try (ModelCache.Lease lease = loaded.acquire(model.key(), model.estimatedBytes(), model.loader())) {
                return work.run(lease.model(), stop);
            }
        });
    }

    /** How to load a catalog, models-directory or fine-tuned model {@link #get} found. */
    public Loadable loadable(String tenantId, ModelInfo info) {
        String id = info.id();
        String key = cacheKey(tenantId, id);
        return switch (info.ownedBy()) {
            case "sublinear" -> new Loadable(key, 0, () -> catalogModel(id));
            case SystemModels.OWNER -> {
                Path directory = system.find(id)
                        .orElseThrow(() -> new NotFoundException("model", id, "model"))
                        .directory();
                yield new Loadable(key, bytesOnDisk(directory), () -> LoadedModel.load(directory, Device.cpu()));
            }
            default -> new Loadable(key, 0, () -> fineTuned(tenantId, id));
        };
    }

    /**
     * How to load a model archive of the artifact store (an uploaded model file): unpacked once under
     * the models directory as {@code name}.
     */
    public Loadable archive(String tenantId, String name, String artifactKey) {
        return new Loadable(cacheKey(tenantId, name), 0, () -> {
            synchronized (unpacking) {
                return LoadedModel.load(unpack(artifactKey, directories.models().resolve(name)), Device.cpu());
            }
        });
    }

    /** How to load the model of a checkpoint stored under {@code artifactKey}, named {@code id}. */
    public Loadable checkpoint(String tenantId, String id, String artifactKey) {
        return new Loadable(
                cacheKey(tenantId, id),
                0,
                () -> Checkpoint.loadModel(new StoredCheckpoint(artifacts, artifactKey), artifactKey, Device.cpu()));
    }

    private ModelInfo require(String tenantId, String id, TaskType task) {
        ModelInfo info = get(tenantId, id);
        if (info.task() != task) {
            throw new InvalidRequestException(
                    "model",
                    "model " + id + " is for " + info.task().id()
                            + (task == TaskType.CAUSAL_LM ? "; use /predictions" : "; use /completions"));
        }
        return info;
    }

    /** The cache is per tenant: every tenant has the catalog models under the same names. */
    private static String cacheKey(String tenantId, String id) {
        return tenantId + "/" + id;
    }

    /** Whether the tenant's model is loaded (what a test can observe of the cache). */
    boolean cached(String tenantId, String id) {
        return loaded.contains(cacheKey(tenantId, id));
    }

    /** The cache's keys, least recently used first, and the bytes they take (what a test observes). */
    public List<String> cachedKeys() {
        return loaded.keys();
    }

    private static LoadedModel catalogModel(String name) {
        // an untrained architecture: answers are noise, but clients can try the endpoint before training
        return LoadedModel.create(
                ModelCatalog.get(name, List.of("label-a", "label-b")).orElseThrow(), 0, Device.cpu());
    }

    private LoadedModel fineTuned(String tenantId, String id) throws IOException {
        synchronized (unpacking) {
            ModelRecord record =
                    models.find(tenantId, id).orElseThrow(() -> new NotFoundException("model", id, "model"));
            return LoadedModel.load(unpack(record.artifactKey(), unpacked(record)), Device.cpu());
        }
    }

    /** A model directory's bytes, which its loaded parameters take about as much of (0 when unreadable). */
    private static long bytesOnDisk(Path directory) {
        try {
            return ModelArchive.unpackedBytes(directory);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Unpacks an archive of the artifact store into {@code directory}, once. */
    private Path unpack(String artifactKey, Path directory) throws IOException {
        Path done = directory.resolveSibling(directory.getFileName() + ".unpacked");
        if (!Files.exists(done)) {
            // the marker comes after the last file: a process killed while unpacking unpacks again
            LocalDirectories.deleteTree(directory);
            PrivateFiles.createFolders(directory.getParent());
            try (InputStream in = artifacts.open(artifactKey)) {
                ModelArchive.extract(in, directory, properties.maxModelBytes());
            }
            PrivateFiles.createFile(done).close(); // owner-only, as everything written for a tenant
        }
        return directory;
    }

    /** Where a fine-tuned model is unpacked for inference. */
    private Path unpacked(ModelRecord model) {
        return directories.models().resolve(model.jobId());
    }

    private static ModelInfo info(SystemModels.SystemModel m) {
        return new ModelInfo(m.name(), m.task(), SystemModels.OWNER, m.createdAt(), null, null);
    }

    private static ModelInfo info(ModelRecord m) {
        return new ModelInfo(m.id(), m.task(), m.tenantId(), m.createdAt(), m.baseModel(), m.jobId());
    }

    @PreDestroy
    void close() {
        // this bean goes before Inference (which it uses): stop the calls first, or a model freed
        // here mid-forward crashes the JVM in libtorch (seen: SIGSEGV in get_opt_names on shutdown)
        inference.close();
        loaded.close();
    }
}
