package dev.sublinear.bench;

import static dev.sublinear.bench.PretrainedThroughputBenchmark.BATCH;
import static dev.sublinear.bench.PretrainedThroughputBenchmark.PROMPT;
import static dev.sublinear.bench.PretrainedThroughputBenchmark.SEED;
import static dev.sublinear.bench.PretrainedThroughputBenchmark.SEQ;
import static dev.sublinear.bench.PretrainedThroughputBenchmark.SIZE;
import static dev.sublinear.bench.PretrainedThroughputBenchmark.STEPS;

import ai.djl.engine.Engine;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.ServiceProcess;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Training throughput of the same Hugging Face GPT-2 as {@link PretrainedThroughputBenchmark}, this
 * time through the service as a user runs it, against the same PyTorch eager script. One service
 * JVM starts; the model directory goes up as a zip ({@code purpose=model}) and the training JSONL
 * ({@code purpose=fine-tune}) over HTTP; each round creates a job (same batch, steps, and
 * Adafactor at the paper's defaults, as the script's: relative step and parameter scaling asked
 * for explicitly, since the service turns them off for a pretrained base), waits for it, and takes
 * the median of the job's own per-step {@code tokens_per_second} ({@code GET
 * /v1/fine_tuning/jobs/{id}/metrics}) over steps 2 to N; rounds alternate with a fresh process of
 * {@code src/test/python/gpt2_train_eager.py}, whose steps 2 to N count too.
 *
 * <p>Run: {@code BENCH_TORCH_LIBRARY_PATH=… ./mvnw -B -q -o test-compile
 * org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sublinear.bench.PretrainedServiceThroughputBenchmark} ({@code -Dexec.args=N}
 * for N rounds, 3 by default).
 */
public final class PretrainedServiceThroughputBenchmark {

    private static final String HEAP = "-Xmx2g";
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(10);
    private static final String JOB = """
            {"model": "%s", "training_file": "%s",
             "optimizer": {"type": "adafactor", "relative_step": true, "scale_parameter": true},
             "hyperparameters": {"n_epochs": 1, "max_steps": %d, "batch_size": %d,
              "checkpoint_interval_steps": 0}}""";

    private PretrainedServiceThroughputBenchmark() {}

    /** One job's figures: the median and the aggregate (tokens over summed step times) of steps 2..N. */
    private record JobResult(double median, double aggregate, double jobSeconds, double lastLoss) {}

    public static void main(String[] args) throws Exception {
        System.setProperty("java.class.path", BenchReport.classPath());
        Engine engine = BenchReport.startEngine();
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int threads = Runtime.getRuntime().availableProcessors();
        Path dir = Files.createTempDirectory("pretrained-service-throughput");
        Path model = TinyHfModels.gpt2(dir.resolve("gpt2"), SIZE, WeightType.F32, SEED);
        Path zip = BenchService.zip(model, "gpt2", dir.resolve("gpt2.zip"));
        Path train = PretrainedThroughputBenchmark.data(dir.resolve("train.jsonl"), BATCH * STEPS);
        double[] service = new double[repeats];
        double[] serviceAggregate = new double[repeats];
        double[] torch = new double[repeats];
        String[] torchLine = new String[1];
        JobResult warm;
        try (ServiceProcess process = ServiceProcess.start(
                dir.resolve("data"),
                null,
                List.of(),
                List.of(HEAP, "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true"),
                "--sublinear.limits.requests-per-second=1000")) {
            ServiceClient client = new ServiceClient(process.awaitUrl(Duration.ofMinutes(3)));
            BenchService.awaitReady(client, process);
            long zipBytes = Files.size(zip);
            JsonNode file = BenchService.json(
                    client.uploadStream("gpt2.zip", "model", zipBytes, () -> {
                        try {
                            return Files.newInputStream(zip);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }),
                    201,
                    "model upload");
            if (!file.get("status").asString().equals("processed")) {
                throw new IllegalStateException("model upload: " + file);
            }
            String modelId = file.get("id").asString();
            String training = client.uploadFile(train, "fine-tune");
            warm = job(client, process, modelId, training); // warm-up: the service JVM's JIT and allocator
            System.out.printf(Locale.ROOT, "warm-up job: %s%n", warm);
            for (int r = 0; r < repeats; r++) {
                for (int k = 0; k < 2; k++) {
                    if ((r + k) % 2 == 0) {
                        JobResult result = job(client, process, modelId, training);
                        service[r] = result.median();
                        serviceAggregate[r] = result.aggregate();
                    } else {
                        torch[r] = PretrainedThroughputBenchmark.torch(threads, torchLine);
                    }
                }
                System.out.printf(
                        Locale.ROOT,
                        "round %d: service %.0f tokens/s (median of steps; aggregate %.0f), PyTorch %.0f tokens/s%n",
                        r,
                        service[r],
                        serviceAggregate[r],
                        torch[r]);
            }
        }
        report(engine, threads, repeats, service, serviceAggregate, torch, torchLine[0]);
        LocalDirectories.deleteTree(dir);
        System.exit(0); // the HTTP client's threads would keep the JVM (and exec:java) alive
    }

    private static JobResult job(ServiceClient client, ServiceProcess process, String model, String training)
            throws Exception {
        String body = String.format(Locale.ROOT, JOB, model, training, STEPS, BATCH);
        long start = System.nanoTime();
        String id = BenchService.json(client.post("/v1/fine_tuning/jobs", body), 201, "job creation")
                .get("id")
                .asString();
        JsonNode job;
        long deadline = start + JOB_TIMEOUT.toNanos();
        while (true) {
            job = client.get("/v1/fine_tuning/jobs/" + id).json();
            String status = job.get("status").asString();
            if (List.of("succeeded", "failed", "cancelled").contains(status)) {
                break;
            }
            if (System.nanoTime() > deadline || !process.alive()) {
                throw new IllegalStateException("job did not finish: " + job + "\n" + Files.readString(process.log()));
            }
            ServiceClient.sleep(250);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!job.get("status").asString().equals("succeeded")) {
            throw new IllegalStateException("job: " + job + "\nevents: "
                    + client.get("/v1/fine_tuning/jobs/" + id + "/events?limit=100")
                            .body());
        }
        JsonNode metrics = BenchService.json(client.get("/v1/fine_tuning/jobs/" + id + "/metrics"), 200, "metrics");
        List<Double> rates = new ArrayList<>();
        double loss = Double.NaN;
        for (JsonNode point : metrics.get("data")) {
            loss = point.get("train_loss").asDouble();
            if (point.get("step").asInt() >= 2) {
                rates.add(point.get("tokens_per_second").asDouble());
            }
        }
        if (rates.size() != STEPS - 1) {
            throw new IllegalStateException("expected steps 2 to " + STEPS + " in the metrics: " + metrics);
        }
        double[] values = rates.stream().mapToDouble(Double::doubleValue).toArray();
        double stepSeconds = 0;
        for (double v : values) {
            stepSeconds += (double) BATCH * SEQ / v;
        }
        return new JobResult(
                PretrainedThroughputBenchmark.median(values),
                (double) BATCH * SEQ * values.length / stepSeconds,
                seconds,
                loss);
    }

    private static void report(
            Engine engine,
            int threads,
            int repeats,
            double[] service,
            double[] serviceAggregate,
            double[] torch,
            String torchLine)
            throws IOException {
        Map<String, String> python = PretrainedThroughputBenchmark.fields(torchLine);
        double serviceMedian = PretrainedThroughputBenchmark.median(service);
        double torchMedian = PretrainedThroughputBenchmark.median(torch);
        double ratio = serviceMedian / torchMedian;
        StringBuilder body = new StringBuilder();
        body.append("## Training throughput through the service: the same GPT-2, a job over HTTP,")
                .append(" and PyTorch eager\n\n")
                .append(String.format(
                        Locale.ROOT,
                        "The model, data and PyTorch script of \"Training throughput: a Hugging Face GPT-2 through"
                                + " TrainingRun and in PyTorch eager\" (GPT-2, %d blocks, n_embd %d,"
                                + " vocabulary %d, %,d parameters, float32, random weights; batch %d, sequence"
                                + " length %d with a %d-token prompt, %d steps, %d threads), the Java side this time"
                                + " through the service as a user runs it: one service JVM (`%s`, embedded H2,"
                                + " in-process CPU worker, default settings), the model directory uploaded as a zip"
                                + " (`purpose=model`) and the JSONL as `purpose=fine-tune` over HTTP; each round a"
                                + " job `{\"optimizer\": {\"type\": \"adafactor\", \"relative_step\": true,"
                                + " \"scale_parameter\": true}, \"hyperparameters\": {\"n_epochs\": 1,"
                                + " \"max_steps\": %d, \"batch_size\": %d, \"checkpoint_interval_steps\": 0}}`"
                                + " (Adafactor at the paper's defaults, as the script's: relative step and parameter"
                                + " scaling asked for, since the service turns them off for a pretrained base),"
                                + " awaited, and its own per-step `tokens_per_second` read from"
                                + " `GET /v1/fine_tuning/jobs/{id}/metrics`. The service's figure of a round is the"
                                + " median of steps 2 to %d; beside it, the aggregate of the same steps (their tokens"
                                + " over the sum of their times, as the script counts). PyTorch's is the script's"
                                + " `tokens_per_s` over steps 2 to %d, a fresh `%s` process each round. %d rounds,"
                                + " service job and script alternating (the order swapping each round), after one"
                                + " warm-up job not counted; medians of the rounds.",
                        SIZE.layers(),
                        SIZE.width(),
                        SIZE.vocab(),
                        SIZE.parameters(),
                        BATCH,
                        SEQ,
                        PROMPT,
                        STEPS,
                        threads,
                        HEAP,
                        STEPS,
                        BATCH,
                        STEPS,
                        STEPS,
                        PretrainedThroughputBenchmark.PYTHON,
                        repeats))
                .append("\n\nMeasured ")
                .append(LocalDate.now())
                .append(" on ")
                .append(BenchReport.machine())
                .append("; service side ")
                .append(engine.getEngineName())
                .append(' ')
                .append(engine.getVersion())
                .append(" (DJL's libtorch), CPU; Python side torch ")
                .append(python.get("torch"))
                .append(" (`torch.__version__`), CPU, `torch.set_num_threads(")
                .append(threads)
                .append(")`, BLAS `")
                .append(python.get("blas"))
                .append('`')
                .append(PretrainedThroughputBenchmark.blasNote())
                .append(".\n\n")
                .append("| round | service, median of steps (tokens/s) | service, aggregate of steps (tokens/s) |"
                        + " PyTorch eager (tokens/s) | service / PyTorch |\n")
                .append("| ---: | ---: | ---: | ---: | ---: |\n");
        for (int r = 0; r < repeats; r++) {
            body.append(String.format(
                    Locale.ROOT,
                    "| %d | %.0f | %.0f | %.0f | %.2f |%n",
                    r + 1,
                    service[r],
                    serviceAggregate[r],
                    torch[r],
                    service[r] / torch[r]));
        }
        body.append(String.format(
                        Locale.ROOT,
                        "| median | %.0f | %.0f | %.0f | |%n",
                        serviceMedian,
                        PretrainedThroughputBenchmark.median(serviceAggregate),
                        torchMedian))
                .append(String.format(
                        Locale.ROOT,
                        "%nService / PyTorch (medians): **%.2f** (target: at least 0.9: %s). With the service's"
                                + " aggregate instead of its per-step median: %.2f. Best rounds: %.2f.%n",
                        ratio,
                        ratio >= 0.9 ? "met" : "missed",
                        PretrainedThroughputBenchmark.median(serviceAggregate) / torchMedian,
                        PretrainedThroughputBenchmark.max(service) / PretrainedThroughputBenchmark.max(torch)))
                .append("\nA step's `tokens_per_second` is the service's own (`TrainingLoop`): the step's tokens"
                        + " over the time from the step's start (its batch's arrays built from the encoded data"
                        + " included) to the end of its optimizer step; the script times forward with the loss,"
                        + " backward and update, its random batch drawn outside. Neither counts loading, the gaps"
                        + " between steps (the service's metrics and events), the final evaluation, checkpoint or"
                        + " save. The machine is shared and its load changes: compare the ratio, measured in one"
                        + " run with the two paths alternating, not these absolute figures with another section's.\n")
                .append("\nCommand: `")
                .append(PretrainedThroughputBenchmark.commandPrefix())
                .append("./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java"
                        + " -Dexec.classpathScope=test"
                        + " -Dexec.mainClass=dev.sublinear.bench.PretrainedServiceThroughputBenchmark")
                .append(repeats == 3 ? "" : " -Dexec.args=" + repeats)
                .append("`\n");
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "pretrained-service-throughput", body.toString());
        System.out.printf(Locale.ROOT, "service/torch = %.3f; python %s; wrote docs/benchmarks.md%n", ratio, torchLine);
    }
}
