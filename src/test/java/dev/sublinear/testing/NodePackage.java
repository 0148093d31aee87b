package dev.sublinear.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An npm package of the test sources ({@code src/test/node/<name>}: a package.json, its lock file
 * and scripts) installed with {@code npm ci} under {@code target/} once per build, again when a file
 * changes, and scripts run with node. Needs {@code node} and {@code npm}: without them the tests that
 * use one fail with {@code why} in the message, they do not skip.
 */
public final class NodePackage {

    private final Path source;
    private final Path directory;
    private final List<String> files;
    private final Predicate<Path> installed;
    private final String why;
    private boolean ready;

    /**
     * @param source the folder in the test sources
     * @param directory where it is installed
     * @param files the files copied from {@code source}
     * @param installed whether an installed directory has what the tests need
     * @param why what needs Node.js, for the error when it is missing
     */
    public NodePackage(Path source, Path directory, List<String> files, Predicate<Path> installed, String why) {
        this.source = source;
        this.directory = directory;
        this.files = List.copyOf(files);
        this.installed = installed;
        this.why = why;
    }

    /** Installs the package if it is not yet, or its files changed; answers its directory. */
    public synchronized Path install() throws Exception {
        if (ready) {
            return directory;
        }
        Files.createDirectories(directory);
        boolean changed = false;
        for (String name : files) {
            Path target = directory.resolve(name);
            byte[] wanted = Files.readAllBytes(source.resolve(name));
            if (!Files.exists(target) || !Arrays.equals(wanted, Files.readAllBytes(target))) {
                Files.copy(source.resolve(name), target, StandardCopyOption.REPLACE_EXISTING);
                changed = true;
            }
        }
        if (changed || !installed.test(directory)) {
            String out =
                    run(List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", directory.toString()), null, 600);
            if (!installed.test(directory)) {
                throw new AssertionError("npm ci in " + directory + " did not install what the tests need:\n" + out);
            }
        }
        ready = true;
        return directory;
    }

    /** Runs a command; its standard output (standard error goes to a file), or an AssertionError. */
    public String run(List<String> command, Path stdin, int timeoutSeconds) throws Exception {
        Files.createDirectories(directory);
        Path err = Files.createTempFile(directory, "stderr", ".txt");
        try {
            Process process;
            try {
                process = new ProcessBuilder(command)
                        .redirectError(err.toFile())
                        .redirectInput(
                                ProcessBuilder.Redirect.from(stdin == null ? new File("/dev/null") : stdin.toFile()))
                        .start();
            } catch (IOException e) {
                throw new AssertionError(
                        why + " need Node.js and npm on the PATH; cannot run " + command.get(0) + ": " + e.getMessage(),
                        e);
            }
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s");
            }
            String output = new String(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError(command + " exited with " + process.exitValue() + ":\n" + output + "\n"
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return output;
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
