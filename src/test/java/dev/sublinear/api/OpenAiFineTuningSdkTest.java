package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonField;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileDeleted;
import com.openai.models.files.FileListParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.finetuning.jobs.FineTuningJob;
import com.openai.models.finetuning.jobs.FineTuningJobEvent;
import com.openai.models.finetuning.jobs.JobCreateParams;
import com.openai.models.finetuning.jobs.JobListEventsParams;
import com.openai.models.finetuning.jobs.JobListParams;
import com.openai.models.finetuning.jobs.checkpoints.CheckpointListParams;
import com.openai.models.finetuning.jobs.checkpoints.FineTuningJobCheckpoint;
import com.openai.models.finetuning.methods.DpoMethod;
import com.openai.models.finetuning.methods.SupervisedHyperparameters;
import com.openai.models.finetuning.methods.SupervisedMethod;
import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The official OpenAI SDKs (Java {@code com.openai:openai-java} with response validation on, so every
 * object it reads is checked against its own types; Node {@code openai} from npm) taking a user
 * through whole fine-tuning jobs: upload, create in both of OpenAI's forms, retrieve, list page by
 * page, events, checkpoints, pause and resume, cancel, the results file, deletes, and refusals as
 * the SDKs' typed exceptions.
 *
 * <p>The tests run in order on one service: one short job on {@code lm-tiny} (6 steps, evaluated and
 * checkpointed every 2) is read by several tests, and the worker runs one job at a time, so each test
 * leaves no job running.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenAiFineTuningSdkTest {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(240);
    /** The tenant of {@link RunningService#ADMIN_KEY}: what a job's {@code organization_id} says. */
    private static final String TENANT = "default";

    private static final String HF_BASE = "tiny-gpt2";
    /** The constant rate a Hugging Face base trains at unless the request sets one (docs/api.md). */
    private static final double HF_DEFAULT_RATE = 3e-4;

    private static final int TRAINING_EXAMPLES = 24;
    private static final int BATCH = 4;
    private static final int STEPS = TRAINING_EXAMPLES / BATCH; // one epoch
    private static final int INTERVAL = 2; // evaluation and checkpoints
    private static final String CSV_HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy";

    @TempDir
    static Path dir;

    static RunningService service;
    /** Validates every response: what a strict SDK user sees. */
    static OpenAIClient client;
    /** The same without validation: only for a paused job, which openai-java's Status enum lacks. */
    static OpenAIClient lenient;

    static Path trainingData;
    static Path validationData;
    static FileObject training;
    static FileObject validation;
    /** The whole job of the deprecated form as its create answered, read by the tests after it. */
    static FineTuningJob created;
    /** Every job created with {@code metadata.suite = java}, in creation order. */
    static final List<String> suiteJobs = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        TinyHfModels.gpt2(models.resolve(HF_BASE), WeightType.F32, 5);
        service = RunningService.start(dir.resolve("data"), null, "--sublinear.models.dir=" + models);
        client = sdk(RunningService.ADMIN_KEY, true);
        lenient = sdk(RunningService.ADMIN_KEY, false);
        trainingData = SyntheticData.reversal(dir.resolve("train.jsonl"), TRAINING_EXAMPLES, 1);
        validationData = SyntheticData.reversal(dir.resolve("valid.jsonl"), 8, 2);
    }

    @AfterAll
    static void stop() {
        for (OpenAIClient c : new OpenAIClient[] {client, lenient}) {
            if (c != null) {
                c.close();
            }
        }
        if (service != null) {
            service.close();
        }
    }

    private static OpenAIClient sdk(String key, boolean validate) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(service.baseUrl() + "/v1")
                .apiKey(key)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(120))
                .responseValidation(validate)
                .build();
    }

    private static FileObject upload(Path file) {
        return client.files()
                .create(FileCreateParams.builder()
                        .file(file)
                        .purpose(FilePurpose.FINE_TUNE)
                        .build());
    }

    @Test
    @Order(1)
    void filesAreUploadedAndListedInBothOrdersPageByPage() throws IOException {
        training = upload(trainingData);
        validation = upload(validationData);
        for (FileObject f : List.of(training, validation)) {
            assertThat(f.id()).startsWith("file-");
            assertThat(f._object_()).isEqualTo(JsonValue.from("file"));
            assertThat(f.purpose()).isEqualTo(FileObject.Purpose.FINE_TUNE);
            assertThat(f.status()).isEqualTo(FileObject.Status.PROCESSED);
            assertThat(f.createdAt()).isPositive();
        }
        assertThat(training.filename()).isEqualTo("train.jsonl");
        assertThat(training.bytes()).isEqualTo(Files.size(trainingData));
        assertThat(client.files().retrieve(training.id())).isEqualTo(training);

        List<String> uploaded = new ArrayList<>(List.of(training.id(), validation.id()));
        for (int i = 0; i < 3; i++) {
            uploaded.add(upload(SyntheticData.reversal(dir.resolve("extra-" + i + ".jsonl"), 2, 10 + i))
                    .id());
        }
        FileListParams.Builder oldestFirst = FileListParams.builder()
                .purpose("fine-tune")
                .order(FileListParams.Order.ASC)
                .limit(2L);
        var firstPage = client.files().list(oldestFirst.build());
        assertThat(firstPage.data()).extracting(FileObject::id).containsExactlyElementsOf(uploaded.subList(0, 2));
        assertThat(firstPage.hasNextPage()).isTrue();
        assertThat(firstPage.autoPager().stream().map(FileObject::id).toList())
                .as("order=asc, two a page, every page fetched by the SDK")
                .containsExactlyElementsOf(uploaded);
        List<String> newestFirst = client
                .files()
                .list(FileListParams.builder()
                        .purpose("fine-tune")
                        .order(FileListParams.Order.DESC)
                        .limit(2L)
                        .build())
                .autoPager()
                .stream()
                .map(FileObject::id)
                .toList();
        assertThat(newestFirst).containsExactlyElementsOf(reversed(uploaded));
        assertThat(client.files()
                        .list(FileListParams.builder()
                                .purpose("fine-tune-results")
                                .build())
                        .data())
                .as("purpose filters")
                .isEmpty();
    }

    /** Top-level hyperparameters (deprecated in the SDKs, still sent by older code), our extensions beside. */
    private static JobCreateParams.Hyperparameters topLevel() {
        return JobCreateParams.Hyperparameters.builder()
                .nEpochs(1)
                .batchSize(BATCH)
                .putAdditionalProperty("eval_interval_steps", JsonValue.from(INTERVAL))
                .putAdditionalProperty("checkpoint_interval_steps", JsonValue.from(INTERVAL))
                .build();
    }

    private static JobCreateParams.Method supervised(SupervisedHyperparameters hyperparameters) {
        return JobCreateParams.Method.builder()
                .type(JobCreateParams.Method.Type.SUPERVISED)
                .supervised(SupervisedMethod.builder()
                        .hyperparameters(hyperparameters)
                        .build())
                .build();
    }

    private static JobCreateParams.Builder job(String model, String run) {
        return JobCreateParams.builder()
                .model(model)
                .trainingFile(training.id())
                .metadata(JobCreateParams.Metadata.builder()
                        .putProperty("suite", "java")
                        .putProperty("run", run)
                        .build());
    }

    private static FineTuningJob create(JobCreateParams params) {
        FineTuningJob job = client.fineTuning().jobs().create(params);
        suiteJobs.add(job.id());
        return job;
    }

    @Test
    @Order(2)
    void aJobCreatedWithTopLevelHyperparametersRunsToTheEnd() {
        // Created through the client that does not validate and validated below, so that the tests after
        // this one still have the job (and it has ended) when its echo is refused.
        created = lenient.fineTuning()
                .jobs()
                .create(job("lm-tiny", "top-level")
                        .validationFile(validation.id())
                        .suffix("sdk")
                        .seed(7)
                        .hyperparameters(topLevel())
                        .build());
        suiteJobs.add(created.id());
        service.awaitJob(created.id(), status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
        created.validate();
        assertThat(created.id()).startsWith("ftjob-");
        assertThat(created._object_()).isEqualTo(JsonValue.from("fine_tuning.job"));
        assertThat(created.model()).isEqualTo("lm-tiny");
        assertThat(created.organizationId()).isEqualTo(TENANT);
        assertThat(created.trainingFile()).isEqualTo(training.id());
        assertThat(created.validationFile()).contains(validation.id());
        assertThat(created.status()).isIn(FineTuningJob.Status.QUEUED, FineTuningJob.Status.RUNNING);
        assertThat(created.resultFiles()).isEmpty();
        assertThat(created.seed()).isEqualTo(7);
        assertThat(created.fineTunedModel()).isEmpty();
        assertThat(created.metadata().orElseThrow()._additionalProperties())
                .containsEntry("suite", JsonValue.from("java"));
        FineTuningJob.Hyperparameters echoed = created.hyperparameters();
        assertThat(echoed.nEpochs().orElseThrow().asInteger()).isEqualTo(1);
        assertThat(echoed.batchSize().orElseThrow().asInteger()).isEqualTo(BATCH);
        assertThat(echoed._additionalProperties())
                .as("our extensions stay beside OpenAI's fields")
                .containsEntry("eval_interval_steps", JsonValue.from(INTERVAL))
                .containsEntry("checkpoint_interval_steps", JsonValue.from(INTERVAL));
        FineTuningJob.Method method = created.method().orElseThrow();
        assertThat(method.type()).isEqualTo(FineTuningJob.Method.Type.SUPERVISED);
        SupervisedHyperparameters inMethod =
                method.supervised().orElseThrow().hyperparameters().orElseThrow();
        assertThat(inMethod.nEpochs().orElseThrow().asInteger()).isEqualTo(1);
        assertThat(inMethod.batchSize().orElseThrow().asInteger()).isEqualTo(BATCH);
        // our own extensions of a job stay too
        assertThat(created._additionalProperties()).containsKeys("progress", "optimizer", "task");

        FineTuningJob finished = client.fineTuning().jobs().retrieve(created.id());
        assertThat(finished.status()).as(finished.toString()).isEqualTo(FineTuningJob.Status.SUCCEEDED);
        assertThat(finished.fineTunedModel()).contains("ft:lm-tiny:sdk:" + created.id());
        assertThat(finished.trainedTokens().orElseThrow()).isPositive();
        assertThat(finished.finishedAt().orElseThrow()).isGreaterThanOrEqualTo(finished.createdAt());
        assertThat(finished.error()).isEmpty();
        assertThat(finished.resultFiles()).as("the step metrics CSV").hasSize(1);
        assertThat(object(finished._additionalProperties().get("progress")))
                .containsEntry("step", JsonValue.from(STEPS));
    }

    @Test
    @Order(3)
    void theMethodFormGivesTheSameJobAsTheTopLevelForm() {
        FineTuningJob methodForm = create(job("lm-tiny", "method")
                .validationFile(validation.id())
                .suffix("sdk")
                .seed(7)
                .method(supervised(SupervisedHyperparameters.builder()
                        .nEpochs(1)
                        .batchSize(BATCH)
                        .putAdditionalProperty("eval_interval_steps", JsonValue.from(INTERVAL))
                        .putAdditionalProperty("checkpoint_interval_steps", JsonValue.from(INTERVAL))
                        .build()))
                .build());
        FineTuningJob cancelled = client.fineTuning().jobs().cancel(methodForm.id());
        assertThat(cancelled.id()).isEqualTo(methodForm.id());
        assertThat(methodForm.hyperparameters()).isEqualTo(created.hyperparameters());
        assertThat(methodForm.method()).isEqualTo(created.method());
        assertThat(methodForm._additionalProperties().get("optimizer"))
                .isEqualTo(created._additionalProperties().get("optimizer"));
        assertThat(methodForm.validationFile()).isEqualTo(created.validationFile());

        // a short job the idle worker may finish before the cancel reaches it (the worker stops after
        // its current step): either end is the job's, and validates
        service.awaitJob(methodForm.id(), status("succeeded", "cancelled"), JOB_TIMEOUT);
        FineTuningJob ended = client.fineTuning().jobs().retrieve(methodForm.id());
        assertThat(ended.status()).isIn(FineTuningJob.Status.CANCELLED, FineTuningJob.Status.SUCCEEDED);
        assertThat(ended.finishedAt()).isPresent();
    }

    @Test
    @Order(4)
    void eventsAreMessagesAndStepMetrics() {
        List<FineTuningJobEvent> events = client
                .fineTuning()
                .jobs()
                .listEvents(
                        created.id(), JobListEventsParams.builder().limit(3L).build())
                .autoPager()
                .stream()
                .toList();
        assertThat(events).extracting(FineTuningJobEvent::id).doesNotHaveDuplicates();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.id()).startsWith("ftevent-");
            assertThat(e._object_()).isEqualTo(JsonValue.from("fine_tuning.job.event"));
            assertThat(e.type()).isPresent();
        });
        List<FineTuningJobEvent> messages = events.stream()
                .filter(e -> e.type().orElseThrow().equals(FineTuningJobEvent.Type.MESSAGE))
                .toList();
        assertThat(messages).extracting(FineTuningJobEvent::message).anyMatch(m -> m.contains("Job succeeded"));

        Map<Integer, Map<String, JsonValue>> metrics = new TreeMap<>();
        for (FineTuningJobEvent e : events) {
            if (e.type().orElseThrow().equals(FineTuningJobEvent.Type.METRICS)) {
                Map<String, JsonValue> data = object(e._data());
                metrics.put(data.get("step").convert(Integer.class), data);
            }
        }
        assertThat(metrics.keySet()).as("a metrics event at every evaluation").contains(2, 4, 6);
        for (int step : List.of(2, 4, 6)) {
            Map<String, JsonValue> data = metrics.get(step);
            assertThat(data)
                    .as("step %d", step)
                    .containsKeys("step", "train_loss", "total_steps", "valid_loss", "valid_mean_token_accuracy");
            assertThat(data.get("total_steps").convert(Integer.class)).isEqualTo(STEPS);
            assertThat(data.get("train_loss").convert(Double.class)).isPositive();
            assertThat(data.get("valid_loss").convert(Double.class)).isPositive();
            assertThat(data.get("valid_mean_token_accuracy").convert(Double.class))
                    .isBetween(0.0, 1.0);
        }
    }

    @Test
    @Order(5)
    void checkpointsCarryOpenAisFields() {
        List<FineTuningJobCheckpoint> checkpoints = client
                .fineTuning()
                .jobs()
                .checkpoints()
                .list(created.id(), CheckpointListParams.builder().limit(1L).build())
                .autoPager()
                .stream()
                .toList();
        // every second step, the newest three kept, newest first
        assertThat(checkpoints).extracting(FineTuningJobCheckpoint::stepNumber).containsExactly(6L, 4L, 2L);
        for (FineTuningJobCheckpoint c : checkpoints) {
            assertThat(c.id()).startsWith("ftckpt-");
            assertThat(c._object_()).isEqualTo(JsonValue.from("fine_tuning.job.checkpoint"));
            assertThat(c.fineTuningJobId()).isEqualTo(created.id());
            assertThat(c.fineTunedModelCheckpoint()).isNotBlank();
            assertThat(c.createdAt()).isPositive();
            FineTuningJobCheckpoint.Metrics m = c.metrics();
            assertThat(m.step()).contains((double) c.stepNumber());
            assertThat(m.trainLoss().orElseThrow()).isPositive();
            assertThat(m.validLoss().orElseThrow())
                    .as("evaluated at every checkpoint")
                    .isPositive();
            assertThat(m.validMeanTokenAccuracy().orElseThrow()).isBetween(0.0, 1.0);
        }
        // what OpenAI's users do with a checkpoint: use it as a model
        String model = checkpoints.get(1).fineTunedModelCheckpoint();
        assertThat(client.completions()
                        .create(CompletionCreateParams.builder()
                                .model(model)
                                .prompt("abc")
                                .maxTokens(2)
                                .temperature(0)
                                .build())
                        .model())
                .isEqualTo(model);
    }

    @Test
    @Order(6)
    void theResultsFileIsOpenAisStepMetricsCsv() throws IOException {
        String resultId =
                lenient.fineTuning().jobs().retrieve(created.id()).resultFiles().get(0);
        FileObject result = client.files().retrieve(resultId);
        assertThat(result.purpose()).isEqualTo(FileObject.Purpose.FINE_TUNE_RESULTS);
        assertThat(result.status()).isEqualTo(FileObject.Status.PROCESSED);
        List<String> lines;
        try (HttpResponse content = client.files().content(resultId);
                InputStream body = content.body()) {
            assertThat(content.statusCode()).isEqualTo(200);
            byte[] bytes = body.readAllBytes();
            assertThat(bytes).hasSize((int) result.bytes());
            lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
        }
        assertThat(lines.get(0)).startsWith(CSV_HEADER);
        List<String> columns = List.of(lines.get(0).split(",", -1));
        List<String> rows = lines.subList(1, lines.size());
        assertThat(rows).as("one row a step").hasSize(STEPS);

        Map<Integer, Double> trainLoss = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            String[] cells = rows.get(i).split(",", -1);
            assertThat(cells).hasSameSizeAs(columns.toArray());
            int step = Integer.parseInt(cells[0]);
            assertThat(step).isEqualTo(i + 1);
            double loss = Double.parseDouble(cells[1]);
            assertThat(loss).isPositive();
            trainLoss.put(step, loss);
            assertThat(Double.parseDouble(cells[2])).as("train_accuracy").isBetween(0.0, 1.0);
            if (step % INTERVAL == 0) {
                assertThat(Double.parseDouble(cells[3]))
                        .as("valid_loss at %d", step)
                        .isPositive();
                assertThat(Double.parseDouble(cells[4])).isBetween(0.0, 1.0);
            }
        }
        // the CSV and the metrics events report the same training
        client
                .fineTuning()
                .jobs()
                .listEvents(
                        created.id(), JobListEventsParams.builder().limit(100L).build())
                .data()
                .stream()
                .filter(e -> e.type().orElseThrow().equals(FineTuningJobEvent.Type.METRICS))
                .map(e -> object(e._data()))
                .forEach(data -> assertThat(data.get("train_loss").convert(Double.class))
                        .isCloseTo(trainLoss.get(data.get("step").convert(Integer.class)), within(1e-5)));

        // a user's file can be deleted; then it is gone for the SDK too
        String extra = client.files()
                .list(FileListParams.builder().purpose("fine-tune").build())
                .data()
                .get(0)
                .id();
        FileDeleted deleted = client.files().delete(extra);
        assertThat(deleted.id()).isEqualTo(extra);
        assertThat(deleted.deleted()).isTrue();
        assertThat(deleted._object_()).isEqualTo(JsonValue.from("file"));
        assertThatThrownBy(() -> client.files().retrieve(extra)).isInstanceOfSatisfying(NotFoundException.class, e -> {
            assertThat(e.param()).contains("file_id");
            assertThat(e.getMessage()).contains(extra);
        });
    }

    @Test
    @Order(7)
    void autoHyperparametersAreResolvedInBothForms() {
        // each cancelled as soon as it is created: only the answer to the create matters here
        FineTuningJob topLevel = createAndEnd(job(HF_BASE, "auto-top-level")
                .hyperparameters(JobCreateParams.Hyperparameters.builder()
                        .nEpochsAuto()
                        .batchSizeAuto()
                        .learningRateMultiplierAuto()
                        .build())
                .build());
        FineTuningJob.Hyperparameters resolved = topLevel.hyperparameters();
        assertThat(resolved.nEpochs().orElseThrow().isInteger())
                .as(resolved.toString())
                .isTrue();
        assertThat(resolved.nEpochs().orElseThrow().asInteger()).isPositive();
        assertThat(resolved.batchSize().orElseThrow().isInteger()).isTrue();
        assertThat(resolved.batchSize().orElseThrow().asInteger()).isPositive();
        assertThat(resolved.learningRateMultiplier().orElseThrow().asNumber()).isEqualTo(1.0);

        FineTuningJob method = createAndEnd(job(HF_BASE, "auto-method")
                .method(supervised(SupervisedHyperparameters.builder()
                        .nEpochsAuto()
                        .batchSizeAuto()
                        .learningRateMultiplierAuto()
                        .build()))
                .build());
        assertThat(method.hyperparameters())
                .as("the same data, the same resolution")
                .isEqualTo(resolved);
    }

    /** Cancels a job unless it has ended, and waits until it has. */
    private static void end(String jobId) {
        service.post("/v1/fine_tuning/jobs/" + jobId + "/cancel", "");
        service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
    }

    private static FineTuningJob createAndEnd(JobCreateParams params) {
        FineTuningJob job = lenient.fineTuning().jobs().create(params);
        suiteJobs.add(job.id());
        lenient.fineTuning().jobs().cancel(job.id());
        // cancelled, or finished first if the worker ran it faster than the cancel came
        service.awaitJob(job.id(), status("succeeded", "cancelled"), JOB_TIMEOUT);
        return job.validate();
    }

    @Test
    @Order(8)
    void aJobIsPausedResumedAndCancelled() {
        // created without validation and ended in any case, so that a refused echo leaves no job training
        FineTuningJob job = lenient.fineTuning()
                .jobs()
                .create(job(HF_BASE, "pause")
                        .method(supervised(SupervisedHyperparameters.builder()
                                .nEpochs(1000)
                                .batchSizeAuto()
                                .learningRateMultiplier(2.0)
                                .build()))
                        .build());
        suiteJobs.add(job.id());
        try {
            job.validate();
            assertThat(job.hyperparameters()
                            .learningRateMultiplier()
                            .orElseThrow()
                            .asNumber())
                    .isEqualTo(2.0);
            assertThat(job.hyperparameters()
                            ._additionalProperties()
                            .get("learning_rate")
                            .convert(Double.class))
                    .as("learning_rate_multiplier scales the base model's default rate")
                    .isCloseTo(2 * HF_DEFAULT_RATE, within(1e-12));
            assertThat(job.hyperparameters().batchSize().orElseThrow().isInteger())
                    .isTrue();

            service.awaitJob(
                    job.id(),
                    j -> j.get("status").asString().equals("running")
                            && j.get("progress").get("step").asInt() > 0,
                    JOB_TIMEOUT);
            // A running job is asked to pause: the worker checkpoints and stops after its current step, so
            // the answer is the job still running, which the SDK validates.
            FineTuningJob pausing = client.fineTuning().jobs().pause(job.id());
            assertThat(pausing.status()).isEqualTo(FineTuningJob.Status.RUNNING);
            JsonNode paused = service.awaitStatus(job.id(), "paused", JOB_TIMEOUT);
            int pausedAt = paused.get("progress").get("step").asInt();

            // `paused` is ours: openai-java's FineTuningJob.Status enum has no such value, so with response
            // validation on the SDK refuses a paused job. A user reads it with validation off, as a string.
            assertThatThrownBy(() -> client.fineTuning().jobs().retrieve(job.id()))
                    .isInstanceOf(OpenAIInvalidDataException.class);
            FineTuningJob seenPaused = lenient.fineTuning().jobs().retrieve(job.id());
            assertThat(seenPaused.status().asString()).isEqualTo("paused");
            assertThat(seenPaused.organizationId()).isEqualTo(TENANT);
            assertThat(client.fineTuning()
                            .jobs()
                            .checkpoints()
                            .list(job.id())
                            .data()
                            .get(0)
                            .stepNumber())
                    .as("a paused job's newest checkpoint is where it stopped")
                    .isEqualTo(pausedAt);

            FineTuningJob resumed = client.fineTuning().jobs().resume(job.id());
            assertThat(resumed.status()).isIn(FineTuningJob.Status.QUEUED, FineTuningJob.Status.RUNNING);
            service.awaitJob(
                    job.id(),
                    j -> j.get("status").asString().equals("running")
                            && j.get("progress").get("step").asInt() > pausedAt,
                    JOB_TIMEOUT);
            FineTuningJob cancelling = client.fineTuning().jobs().cancel(job.id());
            assertThat(cancelling.status()).isIn(FineTuningJob.Status.RUNNING, FineTuningJob.Status.CANCELLED);
            service.awaitStatus(job.id(), "cancelled", JOB_TIMEOUT);
            FineTuningJob cancelled = client.fineTuning().jobs().retrieve(job.id());
            assertThat(cancelled.status()).isEqualTo(FineTuningJob.Status.CANCELLED);
            assertThat(cancelled.finishedAt()).isPresent();
            assertThat(cancelled.fineTunedModel()).isEmpty();
            assertThat(client.fineTuning()
                            .jobs()
                            .listEvents(
                                    job.id(),
                                    JobListEventsParams.builder().limit(100L).build())
                            .data())
                    .extracting(FineTuningJobEvent::message)
                    .anyMatch(m -> m.contains("paused"))
                    .anyMatch(m -> m.contains("cancelled"));
        } finally {
            end(job.id());
        }
    }

    @Test
    @Order(10)
    void jobsAreListedPageByPageAndFilteredByMetadata() {
        List<String> newestFirst =
                client
                        .fineTuning()
                        .jobs()
                        .list(JobListParams.builder().limit(1L).build())
                        .autoPager()
                        .stream()
                        .map(FineTuningJob::id)
                        .toList();
        assertThat(newestFirst).containsExactlyElementsOf(reversed(suiteJobs));

        List<FineTuningJob> topLevel = client
                .fineTuning()
                .jobs()
                .list(JobListParams.builder()
                        .limit(1L)
                        .metadata(JobListParams.Metadata.builder()
                                .putAdditionalProperty("run", "top-level")
                                .build())
                        .build())
                .autoPager()
                .stream()
                .toList();
        assertThat(topLevel).extracting(FineTuningJob::id).containsExactly(created.id());
        assertThat(client.fineTuning()
                        .jobs()
                        .list(JobListParams.builder()
                                .metadata(JobListParams.Metadata.builder()
                                        .putAdditionalProperty("suite", "java")
                                        .putAdditionalProperty("run", "nobody's")
                                        .build())
                                .build())
                        .data())
                .as("every metadata pair must match")
                .isEmpty();
    }

    @Test
    @Order(11)
    void refusalsAreTheSdksTypedExceptionsWithCodeParamAndType() {
        assertThatThrownBy(() -> client.fineTuning().jobs().retrieve("ftjob-doesnotexist"))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.code()).contains("not_found");
                    assertThat(e.param()).contains("fine_tuning_job_id");
                    assertThat(e.type()).contains("not_found_error");
                    assertThat(e.getMessage()).startsWith("404: ").contains("ftjob-doesnotexist");
                });

        refused(
                job("lm-tiny", "bad")
                        .hyperparameters(JobCreateParams.Hyperparameters.builder()
                                .nEpochs(0)
                                .build())
                        .build(),
                "hyperparameters.n_epochs",
                e -> assertThat(e.code()).contains("invalid_request"));
        refused(
                job("lm-tiny", "bad")
                        .method(supervised(
                                SupervisedHyperparameters.builder().nEpochs(0).build()))
                        .build(),
                "method.supervised.hyperparameters.n_epochs",
                e -> assertThat(e.code()).contains("invalid_request"));
        refused(
                job("lm-tiny", "bad")
                        .method(JobCreateParams.Method.builder()
                                .type(JobCreateParams.Method.Type.DPO)
                                .dpo(DpoMethod.builder().build())
                                .build())
                        .build(),
                "method.type",
                e -> assertThat(e.getMessage()).contains("dpo"));
        // strict JSON: a number where a string belongs is refused, not taken as "5"
        refused(
                job("lm-tiny", "bad").suffix(JsonValue.from(5)).build(),
                "suffix",
                e -> assertThat(e.code()).contains("invalid_type"));

        OpenAIClient stranger = sdk("sl-not-a-key-0123456789abcdef", true);
        try {
            assertThatThrownBy(() -> stranger.files().list()).isInstanceOfSatisfying(UnauthorizedException.class, e -> {
                assertThat(e.statusCode()).isEqualTo(401);
                assertThat(e.type()).contains("authentication_error");
                assertThat(e.code()).contains("unauthorized");
                assertThat(e.getMessage()).startsWith("401: ");
            });
        } finally {
            stranger.close();
        }
        assertThat(client.fineTuning().jobs().list().data())
                .as("nothing refused was created")
                .extracting(FineTuningJob::id)
                .containsExactlyInAnyOrderElementsOf(suiteJobs);
    }

    private static void refused(JobCreateParams params, String param, Consumer<OpenAIServiceException> more) {
        assertThatThrownBy(() -> client.fineTuning().jobs().create(params))
                .as(param)
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.param()).as(e.body().toString()).contains(param);
                    assertThat(e.type()).contains("invalid_request_error");
                    assertThat(e.getMessage()).startsWith("400: ").doesNotContain("{");
                    more.accept(e);
                });
    }

    @Test
    @Order(12)
    void theNodeSdkTakesAJobFromUploadToItsResults() throws Exception {
        ObjectNode plan = RunningService.JSON.createObjectNode();
        plan.put("baseURL", service.baseUrl() + "/v1");
        plan.put("apiKey", RunningService.ADMIN_KEY);
        plan.put("model", "lm-tiny");
        plan.put("trainingFile", trainingData.toString());
        plan.put("validationFile", validationData.toString());
        plan.put("batchSize", BATCH);
        plan.put("interval", INTERVAL);
        JsonNode r = OpenAiNodeSdk.run("fine-tuning.mjs", plan);

        JsonNode upload = part(r, "upload");
        assertThat(upload.get("object").asString()).isEqualTo("file");
        assertThat(upload.get("purpose").asString()).isEqualTo("fine-tune");
        assertThat(upload.get("status").asString()).isEqualTo("processed");
        assertThat(upload.get("bytes").asLong()).isEqualTo(Files.size(trainingData));
        assertThat(part(r, "filesAscending").asBoolean())
                .as("files.list order=asc, paged")
                .isTrue();

        JsonNode job = part(r, "finished");
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        assertThat(job.get("organization_id").asString()).isEqualTo(TENANT);
        assertThat(job.get("fine_tuned_model").asString()).startsWith("ft:lm-tiny:");
        assertThat(job.get("result_files")).hasSize(1);
        assertThat(job.get("method").get("type").asString()).isEqualTo("supervised");
        assertThat(part(r, "sameJob").asBoolean())
                .as("the method form echoes the hyperparameters of the top-level form: %s", part(r, "methodForm"))
                .isTrue();
        assertThat(part(r, "methodFormCancelled").asString()).isEqualTo("cancelled");

        assertThat(jsonStrings(part(r, "listedByMetadata")))
                .as("for await over jobs.list with metadata[run]")
                .containsExactly(job.get("id").asString());
        assertThat(part(r, "listedAll").size()).isGreaterThanOrEqualTo(3);

        Set<String> types = jsonStrings(part(r, "events")).stream().collect(Collectors.toSet());
        assertThat(types).containsExactlyInAnyOrder("message", "metrics");
        JsonNode metrics = part(r, "metricsEvent");
        assertThat(metrics.get("data").has("step")).isTrue();
        assertThat(metrics.get("data").has("train_loss")).isTrue();

        JsonNode checkpoints = part(r, "checkpoints");
        assertThat(checkpoints).hasSize(3);
        assertThat(checkpoints.get(0).get("step_number").asInt()).isEqualTo(STEPS);
        assertThat(checkpoints.get(0).get("object").asString()).isEqualTo("fine_tuning.job.checkpoint");
        assertThat(checkpoints.get(0).get("fine_tuning_job_id").asString())
                .isEqualTo(job.get("id").asString());
        assertThat(checkpoints.get(0).get("metrics").get("train_loss").asDouble())
                .isPositive();

        List<String> csv = part(r, "results").asString().lines().toList();
        assertThat(csv.get(0)).startsWith(CSV_HEADER);
        assertThat(csv).hasSize(STEPS + 1);

        JsonNode pause = part(r, "pause");
        assertThat(pause.get("requested").asString()).isEqualTo("running");
        assertThat(pause.get("paused").asString()).isEqualTo("paused");
        assertThat(pause.get("resumed").asString()).isIn("queued", "running");
        assertThat(pause.get("cancelled").asString()).isEqualTo("cancelled");

        assertThat(part(r, "deleted").get("deleted").asBoolean()).isTrue();

        JsonNode notFound = part(r, "errors").get("notFound");
        assertThat(notFound.get("notFoundError").asBoolean()).isTrue();
        assertThat(notFound.get("status").asInt()).isEqualTo(404);
        assertThat(notFound.get("code").asString()).isEqualTo("not_found");
        assertThat(notFound.get("param").asString()).isEqualTo("fine_tuning_job_id");
        assertThat(notFound.get("type").asString()).isEqualTo("not_found_error");
        assertThat(notFound.get("message").asString()).startsWith("404 ").contains("ftjob-doesnotexist");
        for (String[] bad : new String[][] {
            {"nEpochsZero", "hyperparameters.n_epochs"},
            {"dpo", "method.type"},
            {"numberSuffix", "suffix"}
        }) {
            JsonNode e = part(r, "errors").get(bad[0]);
            assertThat(e.get("badRequestError").asBoolean()).as(bad[0]).isTrue();
            assertThat(e.get("status").asInt()).isEqualTo(400);
            assertThat(e.get("param").asString()).as(bad[0]).isEqualTo(bad[1]);
            assertThat(e.get("type").asString()).isEqualTo("invalid_request_error");
            assertThat(e.get("message").asString())
                    .as("the SDK shows the message, not raw JSON")
                    .startsWith("400 ")
                    .doesNotContain("{");
        }
        JsonNode unauthorized = part(r, "errors").get("badKey");
        assertThat(unauthorized.get("authenticationError").asBoolean()).isTrue();
        assertThat(unauthorized.get("status").asInt()).isEqualTo(401);
        assertThat(unauthorized.get("type").asString()).isEqualTo("authentication_error");
        assertThat(r.get("failures")).as("steps of the Node tour that threw").isNull();
    }

    /** What the Node tour recorded under {@code name}; failing with the steps that threw when it is missing. */
    private static JsonNode part(JsonNode tour, String name) {
        JsonNode part = tour.get(name);
        assertThat(part)
                .as("%s, missing; the steps that threw: %s", name, tour.get("failures"))
                .isNotNull();
        return part;
    }

    /** A JSON object the SDK keeps untyped (an event's {@code data}, our extensions). */
    private static Map<String, JsonValue> object(JsonValue value) {
        assertThat(value).isNotNull();
        return ((JsonField<?>) value).asObject().orElseThrow();
    }

    private static List<String> reversed(List<String> list) {
        List<String> copy = new ArrayList<>(list);
        Collections.reverse(copy);
        return copy;
    }

    private static List<String> jsonStrings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}
