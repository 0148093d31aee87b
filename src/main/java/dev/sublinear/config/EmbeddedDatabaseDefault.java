package dev.sublinear.config;

import java.nio.file.Path;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The embedded default database: an H2 file under {@code sublinear.data-dir}, unless
 * {@code spring.datasource.url} names another (PostgreSQL in a cluster). Computed here rather than
 * in application.yaml because H2 refuses relative paths such as {@code data/sublinear}.
 */
public class EmbeddedDatabaseDefault implements EnvironmentPostProcessor, Ordered {

    /**
     * No {@code AUTO_SERVER}: it opens a TCP listener on every interface for other processes to
     * share the file, which nothing here needs and anyone on the network could use. {@code
     * WRITE_DELAY=0}: a commit reaches the file before the request that made it is answered (H2
     * otherwise writes committed changes up to half a second later, lost on a crash).
     */
    static final String H2_OPTIONS = ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (environment.containsProperty("spring.datasource.url")) {
            return;
        }
        Path dataDir = Path.of(environment.getProperty("sublinear.data-dir", "./data"))
                .toAbsolutePath()
                .normalize();
        environment
                .getPropertySources()
                .addLast(new MapPropertySource(
                        "sublinear-embedded-database",
                        Map.of(
                                "spring.datasource.url", "jdbc:h2:file:" + dataDir.resolve("sublinear") + H2_OPTIONS,
                                "spring.datasource.username", "sa",
                                "spring.datasource.password", "")));
    }

    /** After application.yaml and the command line are read. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
