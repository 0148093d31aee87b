package dev.sublinear.testing;

import dev.sublinear.SublinearApplication;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    public static ServiceProcess start(
            Path dataDir, TestDatabases.Database database, List<String> timings, String... arguments)
            throws IOException {
        return start(dataDir, database, timings, List.of("-Xmx1g"), arguments);
    }

    /** Starts the application with the given worker timings and JVM options (heap size, system properties). */
    public static ServiceProcess start(
            Path dataDir,
            TestDatabases.Database database,
            List<String> timings,
            List<String> jvmOptions,
            String... arguments)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-DDJL_CACHE_DIR=" + System.getProperty("DJL_CACHE_DIR", "target/djl-cache")));
        command.addAll(jvmOptions);
        String jar = System.getProperty(JAR_PROPERTY);
        if (jar != null) {
            command.addAll(List.of("-jar", jar)); // as the README runs it
        } else {
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), SublinearApplication.class.getName()));
        }
        command.addAll(List.of(
                "--sublinear.data-dir=" + dataDir,
                "--spring.main.banner-mode=off",
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
        Files.createDirectories(dataDir);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new ServiceProcess(process, log);
    }

    /** SIGKILL: no shutdown hook, no last heartbeat, no checkpoint. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    public long pid() {
        return process.pid();
    }

    /** Waits until the service answers, and returns its base URL (read from its log). */
    public String awaitUrl(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Pattern started = Pattern.compile("Tomcat started on port (\\d+)");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the service exited; its log: " + Files.readString(log));
            }
            Matcher m = started.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (m.find()) {
                return "http://127.0.0.1:" + m.group(1);
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(
                "the service did not start in " + timeout + "; its log: " + Files.readString(log));
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
