package dev.sublinear.api;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official OpenAI Node SDK ({@code openai} from npm, pinned in {@code src/test/node/openai-sdk}),
 * installed with {@code npm ci} into {@code target/openai-sdk} once per build and run by {@code
 * drive.mjs}. Needs {@code node} and {@code npm}: without them the tests fail, they do not skip.
 */
final class OpenAiNodeSdk {

    private static final Path SOURCE = Path.of("src", "test", "node", "openai-sdk");
    private static final Path DIR = Path.of("target", "openai-sdk");
    private static final List<String> FILES = List.of("package.json", "package-lock.json", "drive.mjs");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static boolean installed;

    private OpenAiNodeSdk() {}

    /** Runs drive.mjs with {@code plan} and returns what it printed, parsed. */
    static JsonNode drive(JsonNode plan) throws Exception {
        Path dir = install();
        String out = run(List.of("node", dir.resolve("drive.mjs").toString(), JSON.writeValueAsString(plan)), 300);
        try {
            return JSON.readTree(out);
        } catch (RuntimeException e) {
            throw new AssertionError("node drive.mjs printed no JSON:\n" + out, e);
        }
    }

    private static synchronized Path install() throws Exception {
        if (installed) {
            return DIR;
        }
        Files.createDirectories(DIR);
        boolean changed = false;
        for (String name : FILES) {
            Path target = DIR.resolve(name);
            byte[] wanted = Files.readAllBytes(SOURCE.resolve(name));
            if (!Files.exists(target) || !Arrays.equals(wanted, Files.readAllBytes(target))) {
                Files.copy(SOURCE.resolve(name), target, StandardCopyOption.REPLACE_EXISTING);
                changed = true;
            }
        }
        Path sdk = DIR.resolve("node_modules").resolve("openai");
        if (changed || !Files.isDirectory(sdk)) {
            String out = run(List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", DIR.toString()), 600);
            if (!Files.isDirectory(sdk)) {
                throw new AssertionError("npm ci in " + DIR + " installed no openai package:\n" + out);
            }
        }
        installed = true;
        return DIR;
    }

    /** Runs a command: its standard output, or an AssertionError with its standard error. */
    private static String run(List<String> command, int timeoutSeconds) throws Exception {
        Path err = Files.createTempFile(DIR, "stderr", ".txt");
        try {
            Process process;
            try {
                process = new ProcessBuilder(command)
                        .redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .start();
            } catch (IOException e) {
                throw new AssertionError(
                        "the OpenAI SDK tests need Node.js and npm on the PATH (they drive the service with the"
                                + " official Node SDK); cannot run " + command.get(0) + ": " + e.getMessage(),
                        e);
            }
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command.get(0) + " did not finish in " + timeoutSeconds + " s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(command.get(0) + " " + command.get(1) + " exited with " + process.exitValue()
                        + ":\n" + Files.readString(err) + "\n" + new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
