package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.jobs.JobStatus;
import dev.sublinear.testing.RunningService;
import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code api-spec/openapi.yaml} is the reviewed contract: the running service must describe exactly
 * its paths, operations, parameters, request and response schemas (prose and examples may be
 * reworded in either), and the file must lint cleanly.
 *
 * <p>After a deliberate API change, {@code -Dsublinear.openapi.write=true} rewrites the file from
 * the running service; review the diff before committing it.
 */
class OpenApiContractTest {

    static final Path CONTRACT = Path.of("api-spec", "openapi.yaml");
    private static final Path LINT = Path.of("api-spec", "lint");
    /** Keys that are documentation, not contract. */
    private static final List<String> PROSE = List.of("description", "summary", "example", "examples");

    private static final String HEADER = """
            # The Sublinear HTTP API: the reviewed contract (OpenAPI 3.1).
            # OpenApiContractTest fails when the running service disagrees with this file on paths, operations,
            # parameters, request or response schemas, and lints it with Spectral (api-spec/.spectral.yaml).
            # Regenerate after a deliberate API change with:
            #   ./mvnw -B test -Dtest=OpenApiContractTest -Dsublinear.openapi.write=true
            """;

    @TempDir
    static Path dir;

    static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(dir.resolve("data"), null);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void theRunningServiceDescribesExactlyTheContract() throws IOException {
        String live = service.get("/v3/api-docs.yaml").expect(200).body();
        if (Boolean.getBoolean("sublinear.openapi.write")) {
            Files.writeString(CONTRACT, HEADER + live, StandardCharsets.UTF_8);
        }
        Map<String, Object> contract = new Yaml().load(Files.readString(CONTRACT));
        Map<String, Object> running = new Yaml().load(live);
        List<String> differences = new ArrayList<>();
        for (String part : List.of("paths", "components", "security", "openapi")) {
            compare(part, contract.get(part), running.get(part), differences);
        }
        assertThat(differences)
                .as("differences between %s (left) and the running service (right)", CONTRACT)
                .isEmpty();
    }

    @Test
    void theContractLintsWithoutErrors() throws Exception {
        Path spectral = LINT.resolve("node_modules/.bin/spectral");
        if (!Files.exists(spectral)) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", LINT.toString()), 300);
        }
        Command.Result result = run(
                List.of(
                        spectral.toString(),
                        "lint",
                        CONTRACT.toString(),
                        "--ruleset",
                        "api-spec/.spectral.yaml",
                        "--fail-severity",
                        "warn"),
                120);
        assertThat(result.exit()).as("spectral lint:%n%s", result.output()).isZero();
    }

    @Test
    void everyOperationIsDescribedAndNamed() {
        Map<String, Object> contract = loadContract();
        Map<String, Map<String, Map<String, Object>>> paths = cast(contract.get("paths"));
        TreeSet<String> ids = new TreeSet<>();
        paths.forEach((path, operations) -> operations.forEach((method, operation) -> {
            assertThat(operation.get("summary"))
                    .as("%s %s summary", method, path)
                    .isNotNull();
            assertThat(operation.get("description"))
                    .as("%s %s description", method, path)
                    .isNotNull();
            assertThat(ids.add((String) operation.get("operationId")))
                    .as("%s %s operationId", method, path)
                    .isTrue();
        }));
        assertThat(ids)
                .contains(
                        "createFile",
                        "createFineTuningJob",
                        "listFineTuningEvents",
                        "getFineTuningMetrics",
                        "downloadFineTuningCheckpoint",
                        "createCompletion",
                        "listWorkers");
    }

    /**
     * The statuses the contract names (a job's {@code status}, the list's filter) are exactly those a
     * job can be stored with: a status the code never writes (OpenAI's {@code validating_files}, for
     * one) would promise clients a state they can never see.
     */
    @Test
    void theContractListsExactlyTheJobStatusesTheStoreHolds() {
        Map<String, Object> contract = loadContract();
        Map<String, Map<String, Map<String, Object>>> paths = cast(contract.get("paths"));
        List<Map<String, Object>> parameters =
                cast(paths.get("/v1/fine_tuning/jobs").get("get").get("parameters"));
        Map<String, Object> filter = parameters.stream()
                .filter(p -> "status".equals(p.get("name")))
                .findFirst()
                .orElseThrow();
        Map<String, Object> components = cast(contract.get("components"));
        Map<String, Map<String, Object>> schemas = cast(components.get("schemas"));
        Map<String, Map<String, Object>> jobFields =
                cast(schemas.get("JobObject").get("properties"));
        List<String> stored =
                Arrays.stream(JobStatus.values()).map(JobStatus::id).toList();
        assertThat(stored).doesNotContain("validating_files");
        Map<String, Object> filterSchema = cast(filter.get("schema"));
        List<String> filterValues = cast(filterSchema.get("enum"));
        List<String> jobValues = cast(jobFields.get("status").get("enum"));
        assertThat(filterValues).as("the list's status filter").containsExactlyInAnyOrderElementsOf(stored);
        assertThat(jobValues).as("a job's status").containsExactlyInAnyOrderElementsOf(stored);
    }

    static Map<String, Object> loadContract() {
        try {
            return new Yaml().load(Files.readString(CONTRACT));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void compare(String at, Object left, Object right, List<String> out) {
        if (left instanceof Map<?, ?> l && right instanceof Map<?, ?> r) {
            TreeSet<String> keys = new TreeSet<>();
            l.keySet().forEach(k -> keys.add(String.valueOf(k)));
            r.keySet().forEach(k -> keys.add(String.valueOf(k)));
            for (String key : keys) {
                if (PROSE.contains(key) && !at.endsWith(".properties")) {
                    continue;
                }
                if (!l.containsKey(key)) {
                    out.add(at + "." + key + ": only in the running service");
                } else if (!r.containsKey(key)) {
                    out.add(at + "." + key + ": only in the contract");
                } else {
                    compare(at + "." + key, l.get(key), r.get(key), out);
                }
            }
        } else if (left instanceof List<?> l && right instanceof List<?> r) {
            if (l.size() != r.size()) {
                out.add(at + ": " + l.size() + " items in the contract, " + r.size() + " in the running service");
                return;
            }
            for (int i = 0; i < l.size(); i++) {
                compare(at + "[" + i + "]", l.get(i), r.get(i), out);
            }
        } else if (left instanceof Number l && right instanceof Number r) {
            if (new BigDecimal(l.toString()).compareTo(new BigDecimal(r.toString())) != 0) {
                out.add(at + ": " + l + " in the contract, " + r + " in the running service");
            }
        } else if (!String.valueOf(left).equals(String.valueOf(right))) {
            out.add(at + ": " + left + " in the contract, " + right + " in the running service");
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T cast(Object o) {
        return (T) o;
    }

    /** A finished command: its exit code and what it printed. */
    interface Command {
        record Result(int exit, String output) {}
    }

    static Command.Result run(List<String> command, int timeoutSeconds) throws Exception {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s");
        }
        return new Command.Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
