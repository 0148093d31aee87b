package dev.sublinear.api;

import dev.sublinear.testing.NodePackage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official OpenAI Node SDK ({@code openai} from npm, pinned in {@code src/test/node/openai-sdk}),
 * installed with {@code npm ci} into {@code target/openai-sdk} once per build and run by {@code
 * drive.mjs} (inference) and {@code fine-tuning.mjs} (a whole fine-tuning job). Needs {@code node}
 * and {@code npm}: without them the tests fail, they do not skip.
 */
final class OpenAiNodeSdk {

    private static final NodePackage SDK = new NodePackage(
            Path.of("src", "test", "node", "openai-sdk"),
            Path.of("target", "openai-sdk"),
            List.of("package.json", "package-lock.json", "drive.mjs", "fine-tuning.mjs"),
            dir -> Files.isDirectory(dir.resolve("node_modules").resolve("openai")),
            "the OpenAI SDK tests (they drive the service with the official Node SDK)");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OpenAiNodeSdk() {}

    /** Runs drive.mjs with {@code plan} and returns what it printed, parsed. */
    static JsonNode drive(JsonNode plan) throws Exception {
        return run("drive.mjs", plan);
    }

    /** Runs one of the package's scripts with {@code plan} and returns what it printed, parsed. */
    static JsonNode run(String script, JsonNode plan) throws Exception {
        Path dir = SDK.install();
        String out = SDK.run(List.of("node", dir.resolve(script).toString(), JSON.writeValueAsString(plan)), null, 300);
        try {
            return JSON.readTree(out);
        } catch (RuntimeException e) {
            throw new AssertionError("node " + script + " printed no JSON:\n" + out, e);
        }
    }
}
