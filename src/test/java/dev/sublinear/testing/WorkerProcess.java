package dev.sublinear.testing;

import dev.sublinear.SublinearApplication;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The application in a separate JVM, so that a test can kill it with SIGKILL as a crash would. */
public final class WorkerProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static WorkerProcess start(Path dataDir, TestDatabases.Database database, String... arguments)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-DDJL_CACHE_DIR=" + System.getProperty("DJL_CACHE_DIR", "target/djl-cache"),
                "-cp", System.getProperty("java.class.path"),
                SublinearApplication.class.getName(),
                "--server.port=0",
                "--sublinear.data-dir=" + dataDir,
                "--spring.main.banner-mode=off"));
        command.addAll(RunningService.FAST);
        command.addAll(List.of(database.springArguments()));
        command.addAll(List.of(arguments));
        Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        java.nio.file.Files.createDirectories(dataDir);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new WorkerProcess(process, log);
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
