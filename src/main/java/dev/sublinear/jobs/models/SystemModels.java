package dev.sublinear.jobs.models;

import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.model.PretrainedFiles;
import dev.sublinear.training.model.PretrainedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The operator's base models: the Hugging Face model directories in {@code sublinear.models.dir},
 * each named after its directory, for every tenant. Read on each call, so that a model copied in
 * while the service runs appears without a restart; a directory that is not a model of a supported
 * type is left out and logged once per listing.
 */
@Component
public class SystemModels {

    /** Who owns these models in {@code GET /v1/models}. */
    public static final String OWNER = "system";

    /** Names a request can carry unquoted and that cannot pass for another kind of id. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private static final Logger log = LoggerFactory.getLogger(SystemModels.class);

    private final Path dir;

    public SystemModels(ModelsProperties properties) {
        this.dir = properties.dir();
    }

    /** A base model of the operator's: its name, directory and task. */
    public record SystemModel(String name, Path directory, TaskType task, long createdAt) {}

    /** Every usable model directory, by name. */
    public List<SystemModel> list() {
        List<SystemModel> models = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return models;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : entries.sorted().toList()) {
                read(entry).ifPresent(models::add);
            }
        } catch (IOException e) {
            log.warn("cannot list the models directory {}: {}", dir, e.getMessage());
        }
        return models;
    }

    /** The model named {@code name}, if the directory has it. */
    public Optional<SystemModel> find(String name) {
        if (dir == null || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return read(dir.resolve(name));
    }

    private Optional<SystemModel> read(Path entry) {
        String name = entry.getFileName().toString();
        if (!NAME.matcher(name).matches()
                || ModelCatalog.names().contains(name)
                || name.startsWith("ft")
                || name.startsWith("file-")) {
            return Optional.empty();
        }
        try {
            if (!Files.isDirectory(entry) || !PretrainedModels.isPretrained(entry)) {
                return Optional.empty();
            }
            TaskType task = LoadedModel.readConfig(entry.resolve(PretrainedFiles.CONFIG))
                    .task();
            long created = Files.getLastModifiedTime(entry).toMillis();
            return Optional.of(new SystemModel(name, entry, task, created));
        } catch (IOException | RuntimeException e) {
            log.warn("models directory entry {} is not a usable model: {}", name, e.getMessage());
            return Optional.empty();
        }
    }
}
