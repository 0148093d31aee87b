package dev.sublinear.bench;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.testing.ServiceProcess;
import dev.sublinear.training.SyntheticData;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;

/**
 * The job service's latencies on the embedded defaults: submit-to-running with a free device, and
 * {@code GET /v1/fine_tuning/jobs/{id}} under an open-loop load of 200 requests per second (latency
 * counted from when each request was due, so a stall is not hidden by the client waiting).
 */
public final class JobServiceBenchmark {

    private static final int SUBMISSIONS = 30;
    private static final int RATE = 200;
    private static final Duration LOAD = Duration.ofSeconds(30);

    public static void main(String[] args) throws Exception {
        Path jar = Path.of("target", "sublinear.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the jar first: ./mvnw -B -q package -DskipTests");
        }
        System.setProperty(ServiceProcess.JAR_PROPERTY, jar.toString());
        Path dir = Files.createTempDirectory("sublinear-bench");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        // the service in its own JVM with default settings; this process only sends requests
        try (ServiceProcess process = ServiceProcess.start(
                dir.resolve("data"),
                null,
                List.of(),
                "--server.port=" + port,
                "--sublinear.limits.requests-per-second=1000")) {
            ServiceClient service = new ServiceClient("http://127.0.0.1:" + port);
            BenchService.awaitReady(service, process, Duration.ofSeconds(120));
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 48, 1), "fine-tune");
            double[] submit = submitToRunning(service, file);
            String target = service.createJob(job(file, 1));
            service.awaitStatus(target, "succeeded", Duration.ofSeconds(60));
            load(service, target, Duration.ofSeconds(5)); // warm-up
            double[] idle = load(service, target, LOAD);
            String training = service.createJob(job(file, 100_000));
            service.awaitStatus(training, "running", Duration.ofSeconds(60));
            double[] busy = load(service, target, LOAD);
            service.post("/v1/fine_tuning/jobs/" + training + "/cancel", "");
            service.awaitStatus(training, "cancelled", Duration.ofSeconds(60));
            report(submit, idle, busy);
        }
        System.exit(0); // the HTTP clients' threads would keep the JVM (and exec:java) alive
    }

    private static String job(String file, int maxSteps) {
        return """
                {"model": "lm-tiny", "training_file": "%s",
                 "hyperparameters": {"n_epochs": 1000, "batch_size": 4, "max_steps": %d,
                                     "checkpoint_interval_steps": 0}}""".formatted(file, maxSteps);
    }

    /** Milliseconds from the start of the create request until a GET shows the job running. */
    private static double[] submitToRunning(ServiceClient service, String file) {
        double[] millis = new double[SUBMISSIONS];
        for (int i = 0; i < SUBMISSIONS; i++) {
            long begin = System.nanoTime();
            String id = service.createJob(job(file, 2));
            while (true) {
                JsonNode j = service.get("/v1/fine_tuning/jobs/" + id).json();
                String status = j.get("status").asString();
                if (!status.equals("queued")) {
                    millis[i] = (System.nanoTime() - begin) / 1e6;
                    break;
                }
                RunningService.sleep(2);
            }
            service.awaitStatus(id, "succeeded", Duration.ofSeconds(60)); // the device is free again
        }
        return millis;
    }

    /** Latencies in milliseconds of GETs sent at {@link #RATE} per second for {@code length}. */
    private static double[] load(ServiceClient service, String jobId, Duration length) throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .executor(Executors.newFixedThreadPool(16))
                .build();
        HttpRequest request = service.request("/v1/fine_tuning/jobs/" + jobId).build();
        int total = (int) (length.toSeconds() * RATE);
        double[] latencies = new double[total];
        AtomicInteger failures = new AtomicInteger();
        List<CompletableFuture<?>> pending = new ArrayList<>(total);
        ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
        long start = System.nanoTime() + 50_000_000L;
        long periodNanos = 1_000_000_000L / RATE;
        for (int i = 0; i < total; i++) {
            int index = i;
            long due = start + i * periodNanos;
            CompletableFuture<Void> done = new CompletableFuture<>();
            pending.add(done);
            clock.schedule(
                    () -> http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                            .whenComplete((r, e) -> {
                                latencies[index] = (System.nanoTime() - due) / 1e6;
                                if (e != null || r.statusCode() != 200) {
                                    failures.incrementAndGet();
                                }
                                done.complete(null);
                            }),
                    due - System.nanoTime(),
                    TimeUnit.NANOSECONDS);
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                .get(length.toSeconds() + 60, TimeUnit.SECONDS);
        clock.shutdown();
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " requests failed");
        }
        return latencies;
    }

    private static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }

    private static String row(String what, double[] v) {
        return String.format(
                Locale.ROOT,
                "| %s | %d | %.1f | %.1f | %.1f | %.1f |%n",
                what,
                v.length,
                percentile(v, 50),
                percentile(v, 90),
                percentile(v, 99),
                percentile(v, 100));
    }

    private static void report(double[] submit, double[] idle, double[] busy) throws Exception {
        String body = "## Job service: submit-to-running and GET latency\n\n"
                + "The embedded defaults (H2 file database, in-process CPU worker polling every 500 ms, default"
                + " settings) `java -jar target/sublinear.jar` in a JVM of its own, "
                + "loaded from the harness's JVM over loopback. Submit-to-running: from "
                + "the start of `POST /v1/fine_tuning/jobs` until a GET shows"
                + " the job no longer queued, with the device free (each job finishes before the next is sent)."
                + " GET: `GET /v1/fine_tuning/jobs/{id}` sent open-loop at " + RATE + " requests/s for "
                + LOAD.toSeconds() + " s, latency counted from when each request was due; once with the worker"
                + " idle and once while it trains lm-tiny on the same 2 cores.\n\n"
                + "Measured " + LocalDate.now() + " on " + BenchReport.machine() + ".\n\n"
                + "| measurement (ms) | n | p50 | p90 | p99 | max |\n| --- | ---: | ---: | ---: | ---: | ---: |\n"
                + row("submit to running", submit)
                + row("GET job, worker idle", idle)
                + row("GET job, worker training", busy)
                + String.format(
                        Locale.ROOT,
                        "%nTargets: submit-to-running ≤ 1000 ms (max here %.0f ms);"
                                + " GET p99 ≤ 20 ms at 200/s (idle %.1f ms, training %.1f ms).%n",
                        percentile(submit, 100),
                        percentile(idle, 99),
                        percentile(busy, 99))
                + "\nCommand: `./mvnw -B -q package -DskipTests && ./mvnw -B -q "
                + "test-compile exec:java -Dexec.classpathScope=test"
                + " -Dexec.mainClass=dev.sublinear.bench.JobServiceBenchmark`\n";
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "job-service", body);
        System.out.print(body);
    }
}
