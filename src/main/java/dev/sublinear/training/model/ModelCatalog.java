package dev.sublinear.training.model;

import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.TaskType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Named architectures a job can start from, initialised from the job's seed. */
public final class ModelCatalog {

    private static final Map<String, ModelConfig> ENTRIES = new LinkedHashMap<>();

    static {
        // about 1.0M parameters: trains in minutes on 2 CPU cores
        ModelConfig tiny = new ModelConfig(TaskType.CAUSAL_LM, ByteTokenizer.TYPE, 260, 128, 2, 192, 4, 768, List.of());
        // about 11M parameters
        ModelConfig small =
                new ModelConfig(TaskType.CAUSAL_LM, ByteTokenizer.TYPE, 260, 256, 6, 384, 6, 1536, List.of());
        ENTRIES.put("lm-tiny", tiny);
        ENTRIES.put("lm-small", small);
        ENTRIES.put("cls-tiny", tiny);
        ENTRIES.put("cls-small", small);
    }

    private ModelCatalog() {}

    public static List<String> names() {
        return List.copyOf(ENTRIES.keySet());
    }

    /** The task a catalog name is for: lm-* for causal LM, cls-* for classification. */
    public static TaskType taskOf(String name) {
        return name.startsWith("cls-") ? TaskType.CLASSIFICATION : TaskType.CAUSAL_LM;
    }

    /**
     * The architecture of {@code name}, with the labels a classifier needs and optional overrides.
     */
    public static Optional<ModelConfig> get(String name, List<String> labels) {
        ModelConfig base = ENTRIES.get(name);
        if (base == null) {
            return Optional.empty();
        }
        TaskType task = taskOf(name);
        return Optional.of(base.withTask(task, task == TaskType.CLASSIFICATION ? labels : List.of()));
    }
}
