package dev.sublinear.jobs.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** How long gone workers stay listed, as Spring binds it from configuration. */
class JobsPropertiesTest {

    private static JobsProperties bind(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings))
                .bindOrCreate("sublinear.jobs", JobsProperties.class);
    }

    @Test
    void goneWorkersAreRemovedAfterADayByDefault() {
        assertThat(bind(Map.of()).removeGoneWorkersAfter()).isEqualTo(Duration.ofHours(24));
        assertThat(bind(Map.of("sublinear.jobs.remove-gone-workers-after", "90m"))
                        .removeGoneWorkersAfter())
                .isEqualTo(Duration.ofMinutes(90));
    }

    @Test
    void aRetentionNotLongerThanTheWorkerTimeoutIsRefusedNamingBothSettings() {
        // a worker merely late with its heartbeat would be removed while still online
        assertThatThrownBy(() -> bind(Map.of(
                        "sublinear.jobs.worker-timeout", "30s", "sublinear.jobs.remove-gone-workers-after", "30s")))
                .isInstanceOf(BindException.class)
                .rootCause()
                .hasMessageContaining("sublinear.jobs.remove-gone-workers-after (PT30S) must be longer than"
                        + " sublinear.jobs.worker-timeout (PT30S)");
    }
}
