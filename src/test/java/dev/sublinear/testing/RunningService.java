package dev.sublinear.testing;

import dev.sublinear.SublinearApplication;
import dev.sublinear.config.DjlEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The real application, started in this JVM on a random port with fast worker timings.
 */
public final class RunningService extends ServiceClient implements AutoCloseable {

    /** Timings short enough for tests: a dead worker's job moves on within about three seconds, with room for a loaded
     * CI machine. */
    public static final List<String> FAST = List.of(
            "--sublinear.worker.heartbeat-interval=200ms",
            "--sublinear.worker.lease-duration=3s",
            "--sublinear.worker.poll-interval=100ms",
            "--sublinear.worker.shutdown-grace=20s",
            "--sublinear.jobs.reaper-interval=250ms",
            "--sublinear.jobs.worker-timeout=3s");

    private final ConfigurableApplicationContext context;

    private RunningService(ConfigurableApplicationContext context) {
        super("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
        this.context = context;
    }

    /**
     * Starts the application.
     *
     * @param database where the job store lives, or null for the embedded H2 file under {@code dataDir}
     */
    public static RunningService start(Path dataDir, TestDatabases.Database database, String... arguments) {
        DjlEngine.configureOffline();
        List<String> args = new ArrayList<>(FAST);
        args.add("--server.port=0");
        args.add("--sublinear.data-dir=" + dataDir);
        args.add("--spring.main.banner-mode=off");
        if (Arrays.stream(arguments).noneMatch(a -> a.startsWith("--sublinear.admin.key="))) {
            args.add("--sublinear.admin.key=" + ADMIN_KEY);
        }
        if (database != null) {
            args.addAll(List.of(database.springArguments()));
        }
        args.addAll(List.of(arguments));
        return new RunningService(
                new SpringApplicationBuilder(SublinearApplication.class).run(args.toArray(String[]::new)));
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
