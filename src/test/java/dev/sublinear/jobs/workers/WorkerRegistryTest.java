package dev.sublinear.jobs.workers;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.sublinear.testing.TestDatabases;
import dev.sublinear.testing.TestDatabases.Database;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Removing gone workers from the table, against both databases the service runs on. */
class WorkerRegistryTest {

    private HikariDataSource dataSource;
    private WorkerRegistry registry;

    static Stream<Database> databases() {
        return Stream.of(TestDatabases.h2(), TestDatabases.postgres());
    }

    private void open(Database database) {
        dataSource = database.migratedDataSource();
        registry = new WorkerRegistry(new WorkerStore(JdbcClient.create(dataSource)));
    }

    @AfterEach
    void close() {
        dataSource.close();
    }

    private void register(String id, WorkerStatus status, long lastHeartbeat) {
        registry.register(
                new WorkerRecord(id, "host-" + id, List.of("cpu"), 0, 1, status, 1_000, lastHeartbeat, 1L << 30));
    }

    private List<String> ids(List<WorkerRecord> workers) {
        return workers.stream().map(WorkerRecord::id).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void workersSilentBeforeTheCutOffAreRemovedAndReturnedAsTheyWere(Database database) {
        open(database);
        register("stopped-long-ago", WorkerStatus.STOPPED, 10_000);
        register("lost-long-ago", WorkerStatus.ONLINE, 20_000);
        register("stopped-lately", WorkerStatus.STOPPED, 50_000);
        register("online", WorkerStatus.ONLINE, 60_000);
        register("at-the-cut-off", WorkerStatus.ONLINE, 30_000);

        List<WorkerRecord> removed = registry.removeSilentSince(30_000);

        assertThat(ids(removed)).containsExactly("lost-long-ago", "stopped-long-ago");
        assertThat(removed).extracting(WorkerRecord::status).containsExactly(WorkerStatus.ONLINE, WorkerStatus.STOPPED);
        assertThat(removed).extracting(WorkerRecord::lastHeartbeat).containsExactly(20_000L, 10_000L);
        assertThat(ids(registry.list())).containsExactly("at-the-cut-off", "online", "stopped-lately");
        // a second pass (another process's reaper) finds nothing more to remove
        assertThat(registry.removeSilentSince(30_000)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aWorkerThatBeatAgainIsKeptAndOneThatWasRemovedIsToldSo(Database database) {
        open(database);
        register("late", WorkerStatus.ONLINE, 10_000);
        WorkerStore store = new WorkerStore(JdbcClient.create(dataSource));
        List<WorkerRecord> silent = store.silentSince(30_000);
        assertThat(ids(silent)).containsExactly("late");

        // it heartbeats between the reaper's read and its delete: the delete leaves it
        assertThat(registry.heartbeat("late", 40_000)).isTrue();
        assertThat(store.remove(silent.get(0))).isFalse();
        assertThat(ids(registry.list())).containsExactly("late");

        assertThat(ids(registry.removeSilentSince(50_000))).containsExactly("late");
        // the worker comes back after its row went: the heartbeat says so, so it can register again
        assertThat(registry.heartbeat("late", 60_000)).isFalse();
        assertThat(registry.list()).isEmpty();
    }
}
