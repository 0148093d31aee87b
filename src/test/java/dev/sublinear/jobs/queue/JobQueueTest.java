package dev.sublinear.jobs.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.sublinear.jobs.FailureCode;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobSettings;
import dev.sublinear.jobs.JobStatus;
import dev.sublinear.jobs.JobStore;
import dev.sublinear.jobs.RequestedAction;
import dev.sublinear.jobs.tenants.LimitsProperties;
import dev.sublinear.optimizer.AdafactorOptions;
import dev.sublinear.testing.TestDatabases;
import dev.sublinear.testing.TestDatabases.Database;
import dev.sublinear.training.data.TaskType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/** Claims, leases and fencing against both databases the service runs on. */
class JobQueueTest {

    private static final Duration LEASE = Duration.ofSeconds(10);
    /** The default running-jobs limit per tenant here: above every other test's needs. */
    private static final int MAX_RUNNING = 1000;
    /** A worker's memory budget per job where the test is not about memory: 1 TiB. */
    private static final long WORKER_MEMORY = 1L << 40;

    private HikariDataSource dataSource;
    private JobStore jobs;
    private JobQueue queue;

    static Stream<Database> databases() {
        return Stream.of(TestDatabases.h2(), TestDatabases.postgres());
    }

    private void open(Database database) {
        dataSource = database.migratedDataSource();
        JdbcClient jdbc = JdbcClient.create(dataSource);
        JsonMapper json = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .build();
        jobs = new JobStore(jdbc, json);
        queue = new JobQueue(
                jdbc,
                new TransactionTemplate(new DataSourceTransactionManager(dataSource)),
                jobs,
                new LimitsProperties(MAX_RUNNING, 1000, 100, 1L << 40, 100, 1L << 30, 1_000_000));
    }

    @AfterEach
    void close() {
        dataSource.close();
    }

    private void insert(String id, int priority, int gpus, long createdAt, int maxAttempts) {
        insert(id, "t", priority, gpus, createdAt, maxAttempts);
    }

    private void insert(String id, int priority, int gpus, long createdAt, int maxAttempts, Long memoryEstimate) {
        insert(id, "t", priority, gpus, createdAt, maxAttempts, memoryEstimate);
    }

    private void insert(String id, String tenant, int priority, int gpus, long createdAt, int maxAttempts) {
        insert(id, tenant, priority, gpus, createdAt, maxAttempts, null);
    }

    private void insert(
            String id, String tenant, int priority, int gpus, long createdAt, int maxAttempts, Long memoryEstimate) {
        JobSettings settings = new JobSettings(
                new JobSettings.Hyperparameters(1, 8, null, 0, 0, 1, 0, 100, null),
                new JobSettings.Optimizer("adafactor", AdafactorOptions.defaults()),
                1,
                null,
                Map.of());
        jobs.insert(
                JobRecord.queued(
                        id,
                        tenant,
                        "lm-tiny",
                        "file-x",
                        null,
                        TaskType.CAUSAL_LM,
                        settings,
                        gpus,
                        priority,
                        maxAttempts,
                        createdAt),
                null,
                memoryEstimate);
    }

    private Optional<JobRecord> claim(String worker, int maxGpus, long now) {
        return claim(worker, maxGpus, WORKER_MEMORY, now);
    }

    private Optional<JobRecord> claim(String worker, int maxGpus, long memoryBudget, long now) {
        return queue.claim(worker, maxGpus, memoryBudget, gpus -> gpus == 0 ? "cpu" : "gpu:0", now, LEASE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void claimsTheHighestPriorityFirstThenTheOldest(Database database) {
        open(database);
        insert("ftjob-old-low", 0, 0, 1000, 3);
        insert("ftjob-new-high", 5, 0, 3000, 3);
        insert("ftjob-old-high", 5, 0, 2000, 3);
        insert("ftjob-oldest-low", 0, 0, 500, 3);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(claim("w", 0, 10_000).orElseThrow().id());
        }
        assertThat(order).containsExactly("ftjob-old-high", "ftjob-new-high", "ftjob-oldest-low", "ftjob-old-low");
        assertThat(claim("w", 0, 10_000)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void priorityOrdersATenantsOwnJobsAndTheQueueIsFairAcrossTenants(Database database) {
        open(database);
        insert("ftjob-a-0", "a", 100, 0, 1000, 3);
        insert("ftjob-a-1", "a", 100, 0, 1001, 3);
        insert("ftjob-a-2", "a", 50, 0, 1002, 3);
        insert("ftjob-a-3", "a", 100, 0, 1003, 3);
        assertThat(claim("w", 0, 5000).orElseThrow().id()).isEqualTo("ftjob-a-0");
        // tenant b queues one job of priority 0, after all of a's priority-100 ones
        insert("ftjob-b-0", "b", 0, 0, 6000, 3);
        assertThat(jobs.queuePosition(jobs.find("ftjob-b-0").orElseThrow())).isZero();
        assertThat(jobs.queuePosition(jobs.find("ftjob-a-1").orElseThrow())).isEqualTo(1);
        assertThat(jobs.queuePosition(jobs.find("ftjob-a-2").orElseThrow())).isEqualTo(3);
        // one slot frees: b (no job running) goes before a (one running), whatever a's priorities
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(claim("w", 0, 7000).orElseThrow().id());
        }
        // within a, its own priorities: 100, 100, then 50
        assertThat(order).containsExactly("ftjob-b-0", "ftjob-a-1", "ftjob-a-3", "ftjob-a-2");
        // a now runs 4, b 1: c's new job goes before a's older priority-100 one, then b's
        insert("ftjob-a-4", "a", 100, 0, 8000, 3);
        insert("ftjob-b-1", "b", 0, 0, 8500, 3);
        insert("ftjob-c-0", "c", -100, 0, 9000, 3);
        List<String> next = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            next.add(claim("w", 0, 10_000).orElseThrow().id());
        }
        assertThat(next).containsExactly("ftjob-c-0", "ftjob-b-1", "ftjob-a-4");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void tenantsWithEqualRunningJobsGoInTheOrderTheyHaveWaited(Database database) {
        open(database);
        insert("ftjob-late-high", "late", 100, 0, 2000, 3);
        insert("ftjob-early-low", "early", -100, 0, 1000, 3);
        insert("ftjob-early-high", "early", 100, 0, 3000, 3);
        // early has waited since 1000: its best job (priority 100, queued at 3000) goes first
        assertThat(claim("w", 0, 5000).orElseThrow().id()).isEqualTo("ftjob-early-high");
        assertThat(claim("w", 0, 5000).orElseThrow().id()).isEqualTo("ftjob-late-high");
        assertThat(claim("w", 0, 5000).orElseThrow().id()).isEqualTo("ftjob-early-low");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void claimsOnlyJobsThatFitTheFreeDevices(Database database) {
        open(database);
        insert("ftjob-two-gpus", 9, 2, 1000, 3);
        insert("ftjob-any-device", 0, 0, 2000, 3);
        // a CPU worker (or one free GPU) cannot take the two-GPU job, however high its priority
        assertThat(claim("cpu-worker", 0, 5000).orElseThrow().id()).isEqualTo("ftjob-any-device");
        assertThat(claim("one-free-gpu", 1, 5000)).isEmpty();
        JobRecord big = claim("two-free-gpus", 2, 5000).orElseThrow();
        assertThat(big.id()).isEqualTo("ftjob-two-gpus");
        assertThat(big.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(big.claim().workerId()).isEqualTo("two-free-gpus");
        assertThat(big.claim().attempt()).isEqualTo(1);
        assertThat(big.claim().leaseExpiresAt()).isEqualTo(5000 + LEASE.toMillis());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aTenantAtItsRunningLimitWaitsWhileOthersRun(Database database) {
        open(database);
        JdbcClient.create(dataSource)
                .sql("INSERT INTO tenants (id, name, max_running_jobs, created_at) VALUES (?, ?, 2, 0)")
                .params("small", "small")
                .update();
        for (int i = 0; i < 4; i++) {
            insert("ftjob-small-" + i, "small", 9, 0, 1000 + i, 3);
        }
        insert("ftjob-other", "other", 0, 0, 5000, 3);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            claim("w", 0, 10_000).ifPresent(j -> order.add(j.id()));
        }
        // the small tenant (waiting longest) and the other take turns up to the small one's limit; two stay queued
        assertThat(order).containsExactly("ftjob-small-0", "ftjob-other", "ftjob-small-1");
        assertThat(jobs.find("ftjob-small-2").orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(queue.succeed(new JobQueue.Holder("ftjob-small-0", "w", 1), "ft:x", 1, 1, 11_000))
                .isTrue();
        assertThat(claim("w", 0, 12_000).orElseThrow().id()).isEqualTo("ftjob-small-2");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void concurrentClaimersNeverTakeTheSameJob(Database database) throws Exception {
        open(database);
        int jobCount = 60;
        for (int i = 0; i < jobCount; i++) {
            insert(String.format("ftjob-%03d", i), i % 3, 0, 1000 + i, 3);
        }
        int workers = 8;
        Map<String, String> claimedBy = new ConcurrentHashMap<>();
        List<String> duplicates = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            String worker = "worker-" + w;
            done.add(pool.submit(() -> {
                start.await();
                long deadline = System.nanoTime() + 30_000_000_000L;
                // an empty claim can mean "every row was locked by someone else": go on until all are taken
                while (claimedBy.size() < jobCount && System.nanoTime() < deadline) {
                    Optional<JobRecord> job = claim(worker, 0, 5000);
                    if (job.isPresent() && claimedBy.putIfAbsent(job.get().id(), worker) != null) {
                        duplicates.add(job.get().id());
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        assertThat(duplicates).isEmpty();
        assertThat(claimedBy).hasSize(jobCount);
        assertThat(Set.copyOf(claimedBy.values())).hasSizeGreaterThan(1);
        for (String id : claimedBy.keySet()) {
            JobRecord job = jobs.find(id).orElseThrow();
            assertThat(job.claim().attempt()).isEqualTo(1);
            assertThat(job.claim().workerId()).isEqualTo(claimedBy.get(id));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void anExpiredLeaseRequeuesTheJobAndFencesOutItsOldWorker(Database database) {
        open(database);
        insert("ftjob-a", 0, 0, 1000, 3);
        JobRecord first = claim("w1", 0, 10_000).orElseThrow();
        JobQueue.Holder w1 = new JobQueue.Holder(first.id(), "w1", 1);
        assertThat(queue.renew(w1, 15_000, LEASE)).contains(RequestedAction.NONE);
        assertThat(queue.expired(24_000)).isEmpty();
        assertThat(queue.expired(25_001)).extracting(JobRecord::id).containsExactly("ftjob-a");

        assertThat(queue.expire(jobs.find("ftjob-a").orElseThrow(), 25_001)).isTrue();
        JobRecord requeued = jobs.find("ftjob-a").orElseThrow();
        assertThat(requeued.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(requeued.claim().workerId()).isNull();

        JobRecord second = claim("w2", 0, 26_000).orElseThrow();
        assertThat(second.claim().attempt()).isEqualTo(2);
        // the first worker comes back from a long pause: none of its writes land
        assertThat(queue.renew(w1, 26_500, LEASE)).isEmpty();
        assertThat(queue.progress(w1, new JobRecord.Progress(7, 10, 1.0, 100), new JobRecord.Memory(1, 2, 3)))
                .isFalse();
        assertThat(queue.checkpointed(w1, "step-00000007")).isFalse();
        assertThat(queue.succeed(w1, "ft:x", 10, 100, 27_000)).isFalse();
        assertThat(queue.release(w1, JobStatus.QUEUED)).isFalse();
        JobQueue.Holder w2 = new JobQueue.Holder("ftjob-a", "w2", 2);
        assertThat(queue.progress(w2, new JobRecord.Progress(3, 10, 1.0, 30), new JobRecord.Memory(1, 2, 3)))
                .isTrue();
        assertThat(queue.succeed(w2, "ft:lm-tiny::ftjob-a", 10, 100, 28_000)).isTrue();
        JobRecord done = jobs.find("ftjob-a").orElseThrow();
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.fineTunedModel()).isEqualTo("ft:lm-tiny::ftjob-a");
        assertThat(done.times().finishedAt()).isEqualTo(28_000);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aJobWhoseWorkersKeepDyingFailsAfterItsLastAttempt(Database database) {
        open(database);
        insert("ftjob-b", 0, 0, 1000, 2);
        long now = 10_000;
        for (int attempt = 1; attempt <= 2; attempt++) {
            assertThat(claim("w" + attempt, 0, now)).isPresent();
            now += LEASE.toMillis() + 1;
            assertThat(queue.expire(queue.expired(now).get(0), now)).isTrue();
        }
        JobRecord failed = jobs.find("ftjob-b").orElseThrow();
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.failure().code()).isEqualTo(FailureCode.PLATFORM_ERROR);
        assertThat(failed.claim().attempt()).isEqualTo(2);
        assertThat(claim("w3", 0, now)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aWorkerClaimsOnlyJobsWhoseMemoryEstimateFitsItsBudget(Database database) {
        open(database);
        insert("ftjob-big", 9, 0, 1000, 3, 6L << 30);
        insert("ftjob-small", 0, 0, 2000, 3, 1L << 30);
        insert("ftjob-unestimated", 0, 0, 3000, 3, null);
        // a 2 GiB worker passes over the higher-priority 6 GiB job: it would only take the worker down
        assertThat(claim("small-worker", 0, 2L << 30, 5000).orElseThrow().id()).isEqualTo("ftjob-small");
        assertThat(claim("small-worker", 0, 2L << 30, 5000).orElseThrow().id()).isEqualTo("ftjob-unestimated");
        assertThat(claim("small-worker", 0, 2L << 30, 5000)).isEmpty();
        JobRecord big = claim("big-worker", 0, 8L << 30, 5000).orElseThrow();
        assertThat(big.id()).isEqualTo("ftjob-big");
        assertThat(JdbcClient.create(dataSource)
                        .sql("SELECT memory_budget_bytes FROM jobs WHERE id = 'ftjob-big'")
                        .query(Long.class)
                        .single())
                .isEqualTo(8L << 30);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aWorkerThatDiedWithItsJobAtItsMemoryBudgetFailsTheJobInsteadOfPassingItOn(Database database) {
        open(database);
        long budget = 512L << 20;
        insert("ftjob-hog", 0, 0, 1000, 3, 100L << 20);
        insert("ftjob-fine", 0, 0, 2000, 3, 100L << 20);
        claim("w-hog", 0, budget, 10_000).orElseThrow();
        claim("w-fine", 0, budget, 10_000).orElseThrow();
        // the last heartbeats: one job had reached its worker's budget, the other was well within it
        assertThat(queue.renew(new JobQueue.Holder("ftjob-hog", "w-hog", 1), 11_000, LEASE, budget + (3L << 20)))
                .contains(RequestedAction.NONE);
        assertThat(queue.renew(new JobQueue.Holder("ftjob-fine", "w-fine", 1), 11_000, LEASE, 200L << 20))
                .contains(RequestedAction.NONE);
        // both workers die (kill -9 by the kernel's OOM killer, say) and their leases run out
        long later = 11_000 + LEASE.toMillis() + 1;
        for (JobRecord job : queue.expired(later)) {
            assertThat(queue.expire(job, later)).isTrue();
        }
        JobRecord hog = jobs.find("ftjob-hog").orElseThrow();
        assertThat(hog.status()).as("not retried into the next worker").isEqualTo(JobStatus.FAILED);
        assertThat(hog.failure().code()).isEqualTo(FailureCode.OUT_OF_MEMORY);
        assertThat(hog.failure().param()).isEqualTo("hyperparameters.batch_size");
        assertThat(hog.failure().message()).contains("515 MiB", "memory budget of 512 MiB", "not retried");
        assertThat(hog.times().finishedAt()).isEqualTo(later);
        // an ordinary dead worker's job goes back to the queue as before, and its next attempt is measured afresh
        assertThat(jobs.find("ftjob-fine").orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(claim("w-next", 0, budget, later + 1).orElseThrow().id()).isEqualTo("ftjob-fine");
        assertThat(queue.expiry(jobs.find("ftjob-fine").orElseThrow()).to()).isEqualTo(JobStatus.QUEUED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aCancelRequestedBeforeTheWorkerDiedIsHonoured(Database database) {
        open(database);
        insert("ftjob-c", 0, 0, 1000, 3);
        claim("w1", 0, 10_000).orElseThrow();
        assertThat(jobs.request("ftjob-c", RequestedAction.CANCEL)).isTrue();
        JobQueue.Holder w1 = new JobQueue.Holder("ftjob-c", "w1", 1);
        assertThat(queue.renew(w1, 11_000, LEASE)).contains(RequestedAction.CANCEL);
        long later = 11_000 + LEASE.toMillis() + 1;
        assertThat(queue.expire(queue.expired(later).get(0), later)).isTrue();
        assertThat(jobs.find("ftjob-c").orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
    }
}
