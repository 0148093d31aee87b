package dev.sublinear.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The worker's memory budget as Spring binds it from configuration. */
class WorkerPropertiesTest {

    private static final long GIB = 1L << 30;

    private static WorkerProperties bind(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings))
                .bindOrCreate("sublinear.worker", WorkerProperties.class);
    }

    @Test
    void aConfiguredBudgetIsTakenAsItIs() {
        assertThat(bind(Map.of("sublinear.worker.memory-budget", "6GB")).memoryBudgetBytes(64 * GIB, 16 * GIB, 4))
                .isEqualTo(6 * GIB);
    }

    @Test
    void theDefaultIsThreeQuartersOfTheMemoryBeyondTheHeapSharedAmongTheJobsAtOnce() {
        WorkerProperties defaults = bind(Map.of());
        assertThat(defaults.memoryBudget()).isNull();
        // an 8 GiB container with half of it for the heap, one job at a time: 3 GiB
        assertThat(defaults.memoryBudgetBytes(8 * GIB, 4 * GIB, 1)).isEqualTo(3 * GIB);
        assertThat(defaults.memoryBudgetBytes(64 * GIB, 16 * GIB, 4)).isEqualTo(9 * GIB);
        // a heap as large as the machine leaves the smallest budget, not none
        assertThat(defaults.memoryBudgetBytes(GIB, 2 * GIB, 1)).isEqualTo(WorkerProperties.MIN_MEMORY_BUDGET.toBytes());
    }

    @Test
    void aBudgetTooSmallForAnyJobIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> bind(Map.of("sublinear.worker.memory-budget", "64KB")))
                .isInstanceOf(BindException.class)
                .hasMessageContaining("sublinear.worker")
                .rootCause()
                .hasMessageContaining("sublinear.worker.memory-budget (64 KiB) must be at least 1 MiB");
    }
}
