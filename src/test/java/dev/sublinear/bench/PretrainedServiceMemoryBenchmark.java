package dev.sublinear.bench;

import ai.djl.engine.Engine;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.ServiceProcess;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.testing.TinyHfModels.Gpt2Size;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;

/**
 * Memory of fine-tuning a GPT-2-small-size Hugging Face model (124M parameters, random weights,
 * float32) through the service, as a user does it: for Adafactor (the service's defaults for a
 * pretrained base) and for AdamW in turn, the application starts in a JVM of its own with a fresh
 * data directory, the model directory is uploaded as a zip ({@code purpose=model}) and the training
 * JSONL ({@code purpose=fine-tune}) over HTTP, a job is created and awaited, and its own metrics
 * ({@code GET /v1/fine_tuning/jobs/{id}/metrics}: optimizer state, Adam-equivalent state, per-step
 * resident memory) are read, with the service process's resident memory ({@code VmRSS}, sampled, and
 * its high-water mark {@code VmHWM}) from {@code /proc/<pid>/status}. Then the service stops.
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sublinear.bench.PretrainedServiceMemoryBenchmark}; arguments after
 * {@code -Dexec.args=} are passed to the service (e.g. {@code --sublinear.worker.memory-budget=20GB}).
 */
public final class PretrainedServiceMemoryBenchmark {

    private static final int STEPS = 4;
    private static final int BATCH = 4;
    private static final String HEAP = "-Xmx2g";
    private static final long SEED = 11;
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(30);
    private static final String JOB = """
            {"model": "%s", "training_file": "%s", "optimizer": {"type": "%s"},
             "hyperparameters": {"max_steps": %d, "batch_size": %d, "checkpoint_interval_steps": 0}}""";

    private PretrainedServiceMemoryBenchmark() {}

    /** What one service run measured. */
    private record Result(
            String optimizer,
            long stateBytes,
            long adamEquivalentBytes,
            long parameterBytes,
            long maxResidentInSteps,
            long hwmAfterUploads,
            long maxRssWhileRunning,
            long hwmAfterJob,
            double finalLoss,
            double jobSeconds,
            double uploadSeconds) {}

    public static void main(String[] args) throws Exception {
        // exec:java puts the test class path in its class loader, not in java.class.path, which
        // ServiceProcess gives the service's JVM
        System.setProperty("java.class.path", BenchReport.classPath());
        Path dir = Files.createTempDirectory("pretrained-service-memory");
        long started = System.nanoTime();
        Path model = TinyHfModels.gpt2(dir.resolve("gpt2-small"), Gpt2Size.SMALL, WeightType.F32, SEED);
        long fileBytes = Files.size(model.resolve("model.safetensors"));
        Path zip = BenchService.zip(model, "gpt2-small", dir.resolve("gpt2-small.zip"));
        long zipBytes = Files.size(zip);
        Path train = PretrainedMemoryBenchmark.promptCompletion(dir.resolve("train.jsonl"), 4 * BATCH * STEPS);
        System.out.printf(
                Locale.ROOT,
                "wrote %s (%s) and %s (%s) in %.1f s%n",
                model,
                BenchReport.mib(fileBytes),
                zip,
                BenchReport.mib(zipBytes),
                (System.nanoTime() - started) / 1e9);
        try {
            Map<String, Result> results = new LinkedHashMap<>();
            for (String optimizer : List.of("adafactor", "adamw")) {
                results.put(optimizer, run(optimizer, dir, zip, zipBytes, train, args));
                System.out.println(results.get(optimizer));
            }
            report(results, fileBytes, zipBytes, args);
        } finally {
            LocalDirectories.deleteTree(dir);
        }
        System.exit(0); // the HTTP client's threads would keep the JVM (and exec:java) alive
    }

    private static Result run(String optimizer, Path dir, Path zip, long zipBytes, Path train, String[] extra)
            throws Exception {
        Path data = dir.resolve("data-" + optimizer);
        List<String> arguments = new ArrayList<>(List.of("--sublinear.limits.requests-per-second=1000"));
        arguments.addAll(List.of(extra));
        try (ServiceProcess service = ServiceProcess.start(
                data,
                null,
                List.of(),
                List.of(HEAP, "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true"),
                arguments.toArray(String[]::new))) {
            String pid = Long.toString(service.pid());
            ServiceClient client = new ServiceClient(service.awaitUrl(Duration.ofMinutes(3)));
            BenchService.awaitReady(client, service);
            long uploadStart = System.nanoTime();
            JsonNode file = BenchService.json(
                    client.uploadStream("gpt2-small.zip", "model", zipBytes, () -> {
                        try {
                            return Files.newInputStream(zip);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }),
                    201,
                    "model upload");
            double uploadSeconds = (System.nanoTime() - uploadStart) / 1e9;
            if (!file.get("status").asString().equals("processed")) {
                throw new IllegalStateException("model upload: " + file);
            }
            String training = client.uploadFile(train, "fine-tune");
            long hwmAfterUploads = BenchReport.procStatusBytes(pid, "VmHWM");
            String body = String.format(Locale.ROOT, JOB, file.get("id").asString(), training, optimizer, STEPS, BATCH);
            long jobStart = System.nanoTime();
            String jobId = BenchService.json(client.post("/v1/fine_tuning/jobs", body), 201, "job creation")
                    .get("id")
                    .asString();
            AtomicLong maxRss = new AtomicLong();
            JsonNode job;
            long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
            while (true) {
                maxRss.accumulateAndGet(BenchReport.procStatusBytes(pid, "VmRSS"), Math::max);
                job = client.get("/v1/fine_tuning/jobs/" + jobId).json();
                String status = job.get("status").asString();
                if (List.of("succeeded", "failed", "cancelled").contains(status)) {
                    break;
                }
                if (System.nanoTime() > deadline || !service.alive()) {
                    throw new IllegalStateException(
                            optimizer + " job did not finish: " + job + "\n" + Files.readString(service.log()));
                }
                ServiceClient.sleep(200);
            }
            double jobSeconds = (System.nanoTime() - jobStart) / 1e9;
            long hwmAfterJob = BenchReport.procStatusBytes(pid, "VmHWM");
            if (!job.get("status").asString().equals("succeeded")) {
                throw new IllegalStateException(optimizer + " job: " + job + "\nevents: "
                        + client.get("/v1/fine_tuning/jobs/" + jobId + "/events?limit=100")
                                .body());
            }
            JsonNode metrics =
                    BenchService.json(client.get("/v1/fine_tuning/jobs/" + jobId + "/metrics"), 200, "metrics");
            JsonNode memory = metrics.get("optimizer_memory");
            long maxResident = -1;
            double loss = Double.NaN;
            for (JsonNode point : metrics.get("data")) {
                JsonNode resident = point.get("resident_bytes");
                if (resident != null && !resident.isNull()) {
                    maxResident = Math.max(maxResident, resident.asLong());
                }
                loss = point.get("train_loss").asDouble();
            }
            System.out.printf(
                    Locale.ROOT,
                    "[%s] job %s: %d points, %.0f s; service VmHWM %s%n",
                    optimizer,
                    jobId,
                    metrics.get("data").size(),
                    jobSeconds,
                    BenchReport.mib(hwmAfterJob));
            return new Result(
                    optimizer,
                    memory.get("state_bytes").asLong(),
                    memory.get("adam_equivalent_bytes").asLong(),
                    memory.get("parameter_bytes").asLong(),
                    maxResident,
                    hwmAfterUploads,
                    maxRss.get(),
                    hwmAfterJob,
                    loss,
                    jobSeconds,
                    uploadSeconds);
        }
    }

    private static void report(Map<String, Result> results, long fileBytes, long zipBytes, String[] extra)
            throws IOException {
        Engine engine = BenchReport.startEngine();
        Result ada = results.get("adafactor");
        Result adamw = results.get("adamw");
        StringBuilder body = new StringBuilder();
        body.append("## Memory through the service: GPT-2 small (124M) fine-tuned with Adafactor and with AdamW\n\n")
                .append("The same model and data as the training-layer measurement above (GPT-2 small's sizes, ")
                .append(String.format(Locale.ROOT, "%,d", Gpt2Size.SMALL.parameters()))
                .append(" parameters, random weights, float32, ")
                .append(BenchReport.mib(fileBytes))
                .append(" of safetensors), this time through the service as a user brings it: for each optimizer"
                        + " the application starts in a JVM of its own (`")
                .append(HEAP)
                .append("`, embedded H2, in-process CPU worker, default settings")
                .append(extra.length == 0 ? "" : ", plus `" + String.join(" ", extra) + "`")
                .append(") with a fresh data directory; the model directory goes up as a zip (")
                .append(BenchReport.mib(zipBytes))
                .append(", `purpose=model`) and the prompt/completion JSONL as `purpose=fine-tune` over HTTP with"
                        + " the admin key; a job `{\"optimizer\": {\"type\": …}, \"hyperparameters\":"
                        + " {\"max_steps\": ")
                .append(STEPS)
                .append(", \"batch_size\": ")
                .append(BATCH)
                .append(", \"checkpoint_interval_steps\": 0}}` runs to the end with the service's defaults for a"
                        + " pretrained base (Adafactor: constant 3e-4, no relative step or parameter scaling;"
                        + " AdamW: 5e-5), and the service stops. State bytes and the per-step resident memory"
                        + " are the job's own `GET /v1/fine_tuning/jobs/{id}/metrics` (`optimizer_memory`,"
                        + " the largest `resident_bytes` over the steps); the service process's `VmHWM` is"
                        + " read from `/proc/<pid>/status` after the uploads (their validation included) and"
                        + " after the job (the final model's save included), and its `VmRSS` sampled every"
                        + " 200 ms while the job ran.\n\n")
                .append(BenchReport.measuredOn(engine))
                .append(" (the harness's; the service runs the same class path), CPU.\n\n")
                .append("| optimizer | state | Adam-equivalent state | largest `resident_bytes` in steps | service"
                        + " VmHWM after the uploads | service VmRSS while the job ran (sampled max) | service VmHWM"
                        + " after the job | last train loss | model upload s | job s |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Result r : results.values()) {
            body.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s | %s | %.3f | %.0f | %.0f |%n",
                    r.optimizer(),
                    BenchReport.mib(r.stateBytes()),
                    BenchReport.mib(r.adamEquivalentBytes()),
                    BenchReport.mib(r.maxResidentInSteps()),
                    BenchReport.mib(r.hwmAfterUploads()),
                    BenchReport.mib(r.maxRssWhileRunning()),
                    BenchReport.mib(r.hwmAfterJob()),
                    r.finalLoss(),
                    r.uploadSeconds(),
                    r.jobSeconds()));
        }
        double stateRatio = (double) ada.stateBytes() / adamw.stateBytes();
        double residentRatio = (double) ada.maxResidentInSteps() / adamw.maxResidentInSteps();
        double hwmRatio = (double) ada.hwmAfterJob() / adamw.hwmAfterJob();
        body.append(String.format(
                        Locale.ROOT,
                        "%nAdafactor state / AdamW state: **%.3f%%** (%s / %s; target: at most 1%%: %s).%n",
                        100 * stateRatio,
                        BenchReport.mib(ada.stateBytes()),
                        BenchReport.mib(adamw.stateBytes()),
                        stateRatio <= 0.01 ? "met" : "missed"))
                .append(String.format(
                        Locale.ROOT,
                        "%nThe job's peak resident memory (largest `resident_bytes` in its metrics), Adafactor /"
                                + " AdamW: **%.2f** (%s / %s; target: at most 0.75: %s).%n",
                        residentRatio,
                        BenchReport.mib(ada.maxResidentInSteps()),
                        BenchReport.mib(adamw.maxResidentInSteps()),
                        residentRatio <= 0.75 ? "met" : "missed"))
                .append(String.format(
                        Locale.ROOT,
                        "%nThe service process's peak resident memory (`VmHWM` after the job, start-up, uploads and"
                                + " the final save included), Adafactor / AdamW: **%.2f** (%s / %s).%n",
                        hwmRatio,
                        BenchReport.mib(ada.hwmAfterJob()),
                        BenchReport.mib(adamw.hwmAfterJob())))
                .append(String.format(
                        Locale.ROOT,
                        "%nThe parameters are %s; AdamW's state is %s, Adafactor's %s. `resident_bytes` is"
                                + " sampled once a step, after the update, so it can miss the update's"
                                + " temporaries, which `VmHWM` does not. `VmRSS` and `VmHWM` come from the"
                                + " kernel's per-thread cached counters, so a sample can pass the high-water mark"
                                + " by a fraction of a MiB.%n",
                        BenchReport.mib(ada.parameterBytes()),
                        BenchReport.mib(adamw.stateBytes()),
                        BenchReport.mib(ada.stateBytes())))
                .append("\nCommand: `./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java"
                        + " -Dexec.classpathScope=test"
                        + " -Dexec.mainClass=dev.sublinear.bench.PretrainedServiceMemoryBenchmark`")
                .append(extra.length == 0 ? "" : " `-Dexec.args=\"" + String.join(" ", extra) + "\"`")
                .append('\n');
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "pretrained-service-memory", body.toString());
        System.out.printf(
                Locale.ROOT,
                "state ratio %.5f, resident ratio %.3f, VmHWM ratio %.3f; wrote docs/benchmarks.md%n",
                stateRatio,
                residentRatio,
                hwmRatio);
    }
}
