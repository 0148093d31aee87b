package dev.sublinear.training.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes GPT-2's {@code tokenizer.json} from OpenAI's two original files: {@code encoder.json}
 * (token to id) and {@code vocab.bpe} (the merges, best first, after a {@code #version} line).
 *
 * <p>The result is a byte-level BPE: a ByteLevel pre-tokenizer (GPT-2's split pattern, no prefix
 * space), the BPE model with the vocabulary and merges, a ByteLevel post-processor (adds no tokens)
 * and decoder, and {@code <|endoftext|>} as an added special token. Loading the two files as a plain
 * BPE instead (no ByteLevel step) splits text wrongly. Also writes the {@code tokenizer_config.json}
 * GPT-2 ships: {@code <|endoftext|>} is its beginning, end and unknown token; it has no padding token.
 */
public final class Gpt2TokenizerJson {

    /** GPT-2's only special token. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private Gpt2TokenizerJson() {}

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code directory}.
     *
     * @throws IOException when a file cannot be read or written, or is not what GPT-2 ships
     */
    public static void write(Path encoderJson, Path vocabBpe, Path directory) throws IOException {
        JsonObject vocabulary = readVocabulary(encoderJson);
        JsonElement endOfText = vocabulary.get(END_OF_TEXT);
        if (endOfText == null) {
            throw new IOException(encoderJson + " has no " + END_OF_TEXT + " token");
        }
        List<String> merges = readMerges(vocabBpe);
        Files.createDirectories(directory);
        try (Writer out = Files.newBufferedWriter(directory.resolve("tokenizer.json"), StandardCharsets.UTF_8);
                JsonWriter json = new JsonWriter(out)) {
            json.setSerializeNulls(true);
            json.beginObject();
            json.name("version").value("1.0");
            json.name("truncation").nullValue();
            json.name("padding").nullValue();
            json.name("added_tokens").beginArray().beginObject();
            json.name("id").value(endOfText.getAsInt());
            json.name("content").value(END_OF_TEXT);
            json.name("single_word").value(false);
            json.name("lstrip").value(false);
            json.name("rstrip").value(false);
            json.name("normalized").value(true);
            json.name("special").value(true);
            json.endObject().endArray();
            json.name("normalizer").nullValue();
            byteLevel(json, "pre_tokenizer", false, true);
            byteLevel(json, "post_processor", true, false);
            byteLevel(json, "decoder", true, true);
            json.name("model").beginObject();
            json.name("type").value("BPE");
            json.name("dropout").nullValue();
            json.name("unk_token").nullValue();
            json.name("continuing_subword_prefix").value("");
            json.name("end_of_word_suffix").value("");
            json.name("fuse_unk").value(false);
            json.name("byte_fallback").value(false);
            json.name("vocab").beginObject();
            for (Map.Entry<String, JsonElement> token : vocabulary.entrySet()) {
                json.name(token.getKey()).value(token.getValue().getAsInt());
            }
            json.endObject();
            json.name("merges").beginArray();
            for (String merge : merges) {
                json.value(merge);
            }
            json.endArray();
            json.endObject();
            json.endObject();
        }
        try (Writer out = Files.newBufferedWriter(directory.resolve("tokenizer_config.json"), StandardCharsets.UTF_8);
                JsonWriter json = new JsonWriter(out)) {
            json.beginObject();
            json.name("bos_token").value(END_OF_TEXT);
            json.name("eos_token").value(END_OF_TEXT);
            json.name("unk_token").value(END_OF_TEXT);
            json.name("model_max_length").value(1024);
            json.name("tokenizer_class").value("GPT2Tokenizer");
            json.endObject();
        }
    }

    private static void byteLevel(JsonWriter json, String name, boolean addPrefixSpace, boolean trimOffsets)
            throws IOException {
        json.name(name).beginObject();
        json.name("type").value("ByteLevel");
        json.name("add_prefix_space").value(addPrefixSpace);
        json.name("trim_offsets").value(trimOffsets);
        json.name("use_regex").value(true);
        json.endObject();
    }

    private static JsonObject readVocabulary(Path encoderJson) throws IOException {
        JsonElement root;
        try (Reader in = Files.newBufferedReader(encoderJson, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(in);
        } catch (JsonParseException e) {
            throw new IOException(encoderJson + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject() || root.getAsJsonObject().isEmpty()) {
            throw new IOException(encoderJson + " is not a JSON object of token ids");
        }
        for (Map.Entry<String, JsonElement> token : root.getAsJsonObject().entrySet()) {
            JsonElement id = token.getValue();
            if (!id.isJsonPrimitive() || !id.getAsJsonPrimitive().isNumber()) {
                throw new IOException(encoderJson + ": the id of '" + token.getKey() + "' is not a number");
            }
        }
        return root.getAsJsonObject();
    }

    private static List<String> readMerges(Path vocabBpe) throws IOException {
        List<String> lines = Files.readAllLines(vocabBpe, StandardCharsets.UTF_8);
        List<String> merges = lines.stream()
                .filter(line -> !line.isBlank() && !line.startsWith("#version"))
                .toList();
        for (String merge : merges) {
            if (merge.split(" ", -1).length != 2) {
                throw new IOException(vocabBpe + ": '" + merge + "' is not a merge of two tokens");
            }
        }
        if (merges.isEmpty()) {
            throw new IOException(vocabBpe + " has no merges");
        }
        return merges;
    }
}
