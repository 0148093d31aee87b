package dev.sublinear.testing;

import dev.sublinear.SublinearApplication;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The application in a separate JVM: a test can kill it with SIGKILL as a crash would, and a
 * benchmark can load it from outside its process.
 */
public final class ServiceProcess implements AutoCloseable {

    /** When set, the packaged jar to run (as users do) instead of this JVM's class path. */
    public static final String JAR_PROPERTY = "sublinear.jar";

    private final Process process;
    private final Path log;

    private ServiceProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts the application.
     *
     * @param database the job store, or null for the embedded H2 file under {@code dataDir}
     */
    public static ServiceProcess start(Path dataDir, TestDatabases.Database database, String... arguments)
            throws IOException {
        return start(dataDir, database, RunningService.FAST, arguments);
    }

    /** Starts the application with the given worker timings (an empty list: the defaults). */
    public static ServiceProcess start(Path dataDir, TestDatabases.Database database, List<String> timings,
            String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-DDJL_CACHE_DIR=" + System.getProperty("DJL_CACHE_DIR", "target/djl-cache")));
        String jar = System.getProperty(JAR_PROPERTY);
        if (jar != null) {
            command.addAll(List.of("-jar", jar)); // as the README runs it
        } else {
            command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    SublinearApplication.class.getName()));
        }
        command.addAll(List.of("--sublinear.data-dir=" + dataDir, "--spring.main.banner-mode=off",
                "--sublinear.admin.key=" + ServiceClient.ADMIN_KEY));
        command.addAll(timings);
        if (database != null) {
            command.addAll(List.of(database.springArguments()));
        }
        command.addAll(List.of(arguments));
        if (command.stream().noneMatch(a -> a.startsWith("--server.port="))) {
            command.add("--server.port=0");
        }
        Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        java.nio.file.Files.createDirectories(dataDir);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ServiceProcess(process, log);
    }

    /** SIGKILL: no shutdown hook, no last heartbeat, no checkpoint. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    public boolean alive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
