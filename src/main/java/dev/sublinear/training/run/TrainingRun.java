package dev.sublinear.training.run;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import dev.sublinear.optimizer.StatefulOptimizer;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.DataProblem;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.Encoder.Encoded;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.Tokenizer;
import dev.sublinear.training.data.TrainingData;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.model.ModelConfig;
import dev.sublinear.training.model.PretrainedModels;
import dev.sublinear.training.tokenizer.HfTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one training spec to completion, cancellation or pause: validates the data, builds or loads
 * the model, trains with DJL's {@link Trainer} (micro-batches split across the devices, gradient
 * accumulation, the spec's optimizer), validates, checkpoints, and reports every step.
 */
public final class TrainingRun {

    /** Fewer training examples than this is not a fine-tuning set. */
    static final int MIN_TRAINING_EXAMPLES = 2;

    private final TrainingSpec spec;
    private final RunControl control;
    private final TrainingListener listener;

    public TrainingRun(TrainingSpec spec, RunControl control, TrainingListener listener) {
        this.spec = spec;
        this.control = control;
        this.listener = listener;
    }

    /**
     * Runs.
     *
     * @throws InvalidDataException the data is unusable (the user's error, with line numbers)
     * @throws TrainingFailedException training could not go on (a non-finite loss or update)
     * @throws IOException reading data or writing checkpoints failed
     */
    public RunOutcome run() throws InvalidDataException, TrainingFailedException, IOException {
        Checkpoint.Contents resume =
                spec.resumeFrom() == null ? null : Checkpoint.read(spec.checkpoints(), spec.resumeFrom());
        Checkpoint.Contents base = null;
        if (resume == null && spec.baseModel() instanceof ModelSource.FromCheckpoint from) {
            base = Checkpoint.read(from.store(), from.name());
        }
        ModelConfig config = plannedConfig(resume, base);
        TrainingData data = readData(config, resume != null ? resume : base);
        control.checkMemory(0);
        data.warnings().forEach(listener::onWarning);
        // a catalog classifier, or a pretrained encoder, takes the training file's labels (a new head)
        if (resume == null
                && base == null
                && config.task() == TaskType.CLASSIFICATION
                && (spec.baseModel() instanceof ModelSource.Catalog || HfTokenizer.TYPE.equals(config.tokenizer()))) {
            config = config.withTask(TaskType.CLASSIFICATION, data.labels());
        }
        checkLabels(config, data);
        try (LoadedModel model = startingModel(config, resume != null ? resume : base)) {
            control.checkMemory(0);
            Encoder encoder = new Encoder(model.tokenizer(), config.contextLength(), config.labels());
            Batches training = new Batches(
                    encode(encoder, data.training()),
                    spec.hyperparameters().batchSize(),
                    spec.seed(),
                    model.tokenizer().padId(),
                    true);
            Batches validation = new Batches(
                    encode(encoder, data.validation()),
                    spec.hyperparameters().batchSize(),
                    spec.seed(),
                    model.tokenizer().padId(),
                    false);
            int totalSteps = totalSteps(training);
            Optimizer optimizer = spec.optimizer().build(totalSteps);
            // a checkpoint written without optimizer state resumes with fresh state
            if (resume != null && resume.optimizerState() != null && optimizer instanceof StatefulOptimizer stateful) {
                stateful.loadState(new ByteArrayInputStream(resume.optimizerState()), model.parameterIds());
            }
            Loss loss = config.task() == TaskType.CAUSAL_LM ? new MaskedCrossEntropy() : Loss.softmaxCrossEntropyLoss();
            DefaultTrainingConfig trainingConfig =
                    new DefaultTrainingConfig(loss).optOptimizer(optimizer).optDevices(devices());
            // parameters loaded from a file come without gradients attached; a fresh model has them
            for (Parameter p : model.block().getParameters().values()) {
                if (p.requiresGradient() && !p.getArray().hasGradient()) {
                    p.getArray().setRequiresGradient(true);
                }
            }
            try (Trainer trainer = model.model().newTrainer(trainingConfig)) {
                return new TrainingLoop(
                                spec,
                                control,
                                listener,
                                model,
                                trainer,
                                optimizer,
                                training,
                                validation,
                                totalSteps,
                                resume)
                        .run();
            } finally {
                if (optimizer instanceof AutoCloseable closeable) {
                    try {
                        closeable.close();
                    } catch (Exception e) {
                        throw new IOException("closing the optimizer failed", e);
                    }
                }
            }
        }
    }

    /** The architecture the run will train, known before the data (a catalog classifier's labels come later). */
    private ModelConfig plannedConfig(Checkpoint.Contents resume, Checkpoint.Contents base) throws IOException {
        if (resume != null) {
            return resume.config();
        }
        ModelSource source = spec.baseModel();
        ModelConfig config;
        if (source instanceof ModelSource.Catalog catalog) {
            TaskType task = ModelCatalog.taskOf(catalog.name());
            // placeholder labels: the training file's replace them once it is read
            config = ModelCatalog.get(catalog.name(), List.of("label-a", "label-b"))
                    .orElseThrow(() -> new IllegalArgumentException(
                            "no model '" + catalog.name() + "' in the catalog " + ModelCatalog.names()));
            if (task != spec.task()) {
                throw new IllegalArgumentException("model " + catalog.name() + " is for " + task.id() + ", the job is "
                        + spec.task().id());
            }
            return config;
        }
        config = source instanceof ModelSource.Saved saved
                ? LoadedModel.readConfig(saved.directory().resolve(LoadedModel.CONFIG_FILE))
                : base.config();
        if (config.task() != spec.task()) {
            throw new IllegalArgumentException("the base model is for "
                    + config.task().id() + ", the job is " + spec.task().id());
        }
        return config;
    }

    private LoadedModel startingModel(ModelConfig config, Checkpoint.Contents contents) throws IOException {
        Device device = devices()[0];
        if (contents != null) {
            return contents.model(device);
        }
        if (spec.baseModel() instanceof ModelSource.Saved saved) {
            return PretrainedModels.isPretrained(saved.directory())
                    ? PretrainedModels.load(saved.directory(), config.labels(), device)
                    : LoadedModel.load(saved.directory(), device);
        }
        return LoadedModel.create(config, spec.seed(), device);
    }

    /** Reads the data with the model's own tokenizer, so that lengths are counted in its tokens. */
    private TrainingData readData(ModelConfig config, Checkpoint.Contents contents)
            throws IOException, InvalidDataException {
        if (!HfTokenizer.TYPE.equals(config.tokenizer())) {
            return readData(config, new ByteTokenizer());
        }
        try (HfTokenizer tokenizer = contents != null
                ? PretrainedModels.tokenizer(contents.pretrained())
                : HfTokenizer.load(((ModelSource.Saved) spec.baseModel()).directory())) {
            return readData(config, tokenizer);
        }
    }

    private TrainingData readData(ModelConfig config, Tokenizer tokenizer) throws IOException, InvalidDataException {
        DatasetReader reader = new DatasetReader(spec.task(), tokenizer, config.contextLength(), MIN_TRAINING_EXAMPLES);
        try (InputStream training = Files.newInputStream(spec.trainingFile());
                InputStream validation =
                        spec.validationFile() == null ? null : Files.newInputStream(spec.validationFile())) {
            return reader.read(training, validation);
        }
    }

    private static void checkLabels(ModelConfig config, TrainingData data) throws InvalidDataException {
        if (config.task() == TaskType.CLASSIFICATION && !config.labels().equals(data.labels())) {
            throw new InvalidDataException(List.of(new DataProblem(
                    "training",
                    0,
                    "label",
                    "has the labels " + data.labels() + " but the base model predicts " + config.labels())));
        }
    }

    private static List<Encoded> encode(Encoder encoder, List<Example> examples) {
        List<Encoded> encoded = new ArrayList<>(examples.size());
        examples.forEach(e -> encoded.add(encoder.encode(e)));
        return encoded;
    }

    private int totalSteps(Batches training) {
        TrainingPlan h = spec.hyperparameters();
        int perEpoch = (training.perEpoch() + h.gradientAccumulation() - 1) / h.gradientAccumulation();
        int total = perEpoch * h.epochs();
        return h.maxSteps() > 0 ? Math.min(total, h.maxSteps()) : total;
    }

    private Device[] devices() {
        return spec.devices() == null || spec.devices().length == 0 ? new Device[] {Device.cpu()} : spec.devices();
    }
}
