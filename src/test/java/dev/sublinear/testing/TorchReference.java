package dev.sublinear.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch reference scripts under {@code src/test/python}, run with Debian's
 * {@code /usr/bin/python3} and {@code python3-torch}. Without torch a test fails, naming how to
 * install it (CI's {@code .ci/run} does), rather than skipping.
 */
public final class TorchReference {

    public static final String PYTHON = "/usr/bin/python3";

    private static final int TIMEOUT_SECONDS = 300;

    private TorchReference() {}

    /**
     * Runs {@code script} with {@code arguments} and fails the test, with what it printed, unless it
     * exits 0.
     *
     * @param what the reference, for the message when torch is missing
     * @return what the script printed
     */
    public static String run(String what, Path script, String... arguments) throws InterruptedException {
        Result torch = execute(List.of(PYTHON, "-c", "import torch"));
        if (torch.exit() != 0) {
            fail("the " + what + " reference needs " + PYTHON + " with torch (Debian: apt-get install python3-torch;"
                    + " .ci/run installs it): " + torch.output());
        }
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
        command.addAll(List.of(arguments));
        Result result = execute(command);
        assertEquals(0, result.exit(), result.output());
        return result.output();
    }

    /** A JSON array of numbers as floats. */
    public static float[] floats(JsonArray values) {
        float[] result = new float[values.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = values.get(i).getAsFloat();
        }
        return result;
    }

    /** The largest absolute difference between two arrays of the same length (a NaN makes it NaN). */
    public static double maxAbsDiff(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "element count");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) expected[i] - actual[i]);
            if (!(diff <= max)) {
                max = diff;
            }
        }
        return max;
    }

    private record Result(int exit, String output) {}

    /** A command that cannot start, or does not finish in time, is a failed result, not an exception. */
    private static Result execute(List<String> command) throws InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
        String output;
        try {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            output = e.getMessage();
        }
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Result(-1, command + " did not finish in " + TIMEOUT_SECONDS + " s: " + output);
        }
        return new Result(process.exitValue(), output);
    }
}
