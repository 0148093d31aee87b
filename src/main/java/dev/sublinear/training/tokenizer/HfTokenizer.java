package dev.sublinear.training.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.sublinear.training.chat.ChatTemplate;
import dev.sublinear.training.chat.ChatTemplateException;
import dev.sublinear.training.data.Tokenizer;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer: a model directory's {@code tokenizer.json}, run by the Hugging Face
 * tokenizers library that DJL bundles (its CPU build, loaded offline), plus the special tokens that
 * the directory's {@code tokenizer_config.json} names, where there is one.
 *
 * <p>{@link #encode} adds no special tokens; {@link #encodeWithSpecialTokens} adds what the
 * tokenizer's post-processor adds (nothing for GPT-2 or Qwen, {@code [CLS] ... [SEP]} for BERT).
 * Neither truncates nor pads. {@link #vocabularySize} is one more than the largest id of the model's
 * vocabulary and the added tokens (the tokenizer's, not a model's embedding rows, which may be more).
 *
 * <p>The special token ids of the {@link Tokenizer} interface come from {@code tokenizer_config.json}
 * ({@code bos_token}, {@code eos_token}, {@code pad_token}, {@code sep_token}); one that the
 * directory does not name throws {@link IllegalStateException}: check {@link #bos()} and the like
 * first. Holds native memory: close it.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {

    public static final String TYPE = "huggingface";
    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
    public static final String CHAT_TEMPLATE_JINJA = "chat_template.jinja";

    /** A text every vocabulary encodes to ordinary tokens, to see what special tokens frame it. */
    private static final String PROBE = "probe";

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabularySize;
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final OptionalInt pad;
    private final OptionalInt separator;
    private final int[] prefix;
    private final int[] suffix;
    /** The chat template, or what the engine found wrong with it (thrown by {@link #chatTemplate()}). */
    private final ChatTemplate chatTemplate;

    private final ChatTemplateException chatTemplateProblem;

    private HfTokenizer(
            Path file,
            HuggingFaceTokenizer tokenizer,
            int vocabularySize,
            Map<String, OptionalInt> ids,
            ChatTemplate chatTemplate,
            ChatTemplateException chatTemplateProblem) {
        this.file = file;
        this.chatTemplate = chatTemplate;
        this.chatTemplateProblem = chatTemplateProblem;
        this.tokenizer = tokenizer;
        this.vocabularySize = vocabularySize;
        this.bos = ids.get("bos_token");
        this.eos = ids.get("eos_token");
        this.pad = ids.get("pad_token");
        this.separator = ids.get("sep_token");
        // what the post-processor wraps a text in: found around a probe text encoded both ways
        int[] plain = encode(PROBE);
        int[] framed = encodeWithSpecialTokens(PROBE);
        int at = indexOf(framed, plain);
        this.prefix = at < 0 ? new int[0] : Arrays.copyOf(framed, at);
        this.suffix = at < 0 ? new int[0] : Arrays.copyOfRange(framed, at + plain.length, framed.length);
    }

    /**
     * Loads {@code directory/tokenizer.json} and, where present, {@code
     * directory/tokenizer_config.json}. Never downloads: sets {@code ai.djl.offline=true} unless the
     * process already chose.
     *
     * @throws IOException naming the file that is missing, unreadable or not a tokenizer
     */
    public static HfTokenizer load(Path directory) throws IOException {
        Path file = directory.resolve(TOKENIZER_JSON);
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such file (a Hugging Face tokenizer needs " + TOKENIZER_JSON + ")");
        }
        if (!Files.isReadable(file)) {
            throw new IOException(file + ": not readable");
        }
        JsonObject json = readObject(file);
        Map<String, Integer> tokens = new HashMap<>();
        int vocabularySize = vocabulary(file, json, tokens);
        Map<String, OptionalInt> special = specialTokens(directory.resolve(TOKENIZER_CONFIG_JSON), tokens);
        for (String model : new String[] {"generation_config.json", "config.json"}) {
            // transformers takes a model's end of text from its configs when the tokenizer names none
            modelTokenIds(directory.resolve(model), vocabularySize, special);
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Map<String, String> options =
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false", "maxLength", "-1");
        HuggingFaceTokenizer loaded;
        try {
            loaded = HuggingFaceTokenizer.newInstance(file, options);
        } catch (RuntimeException e) {
            throw new IOException(
                    file + ": not a tokenizer the Hugging Face tokenizers library loads: " + e.getMessage(), e);
        }
        ChatTemplate template = null;
        ChatTemplateException problem = null;
        try {
            template = chatTemplate(directory);
        } catch (ChatTemplateException e) {
            problem = e;
        }
        return new HfTokenizer(file, loaded, vocabularySize, special, template, problem);
    }

    /**
     * The model's chat template, where its files have one: {@code chat_template.jinja}, else {@code
     * tokenizer_config.json}'s {@code chat_template} (a string, or named templates of which {@code
     * default} is used), with the special tokens' strings as its variables.
     *
     * @throws ChatTemplateException when there is a template that the engine cannot use, naming the
     *     construct
     */
    @Override
    public Optional<ChatTemplate> chatTemplate() {
        if (chatTemplateProblem != null) {
            throw chatTemplateProblem;
        }
        return Optional.ofNullable(chatTemplate);
    }

    private static ChatTemplate chatTemplate(Path directory) throws IOException {
        Path config = directory.resolve(TOKENIZER_CONFIG_JSON);
        JsonObject json = Files.exists(config) ? readObject(config) : new JsonObject();
        Path jinja = directory.resolve(CHAT_TEMPLATE_JINJA);
        String source = null;
        if (Files.isRegularFile(jinja)) {
            source = Files.readString(jinja, StandardCharsets.UTF_8);
        } else if (json.has("chat_template")) {
            source = templateSource(config, json.get("chat_template"));
        }
        if (source == null) {
            return null;
        }
        Map<String, Object> variables = new LinkedHashMap<>();
        for (String name :
                new String[] {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"
                }) {
            String content = tokenContent(json.get(name));
            if (content != null) {
                variables.put(name, content);
            }
        }
        JsonElement extra = json.get("additional_special_tokens");
        if (extra != null && extra.isJsonArray()) {
            List<String> tokens = new ArrayList<>();
            for (JsonElement token : extra.getAsJsonArray()) {
                String content = tokenContent(token);
                if (content != null) {
                    tokens.add(content);
                }
            }
            variables.put("additional_special_tokens", tokens);
        }
        return ChatTemplate.of(source, variables);
    }

    private static String templateSource(Path config, JsonElement value) throws IOException {
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) {
            return value.getAsString();
        }
        if (value.isJsonArray()) {
            for (JsonElement named : value.getAsJsonArray()) {
                if (!named.isJsonObject()) {
                    continue;
                }
                JsonElement name = named.getAsJsonObject().get("name");
                JsonElement template = named.getAsJsonObject().get("template");
                if (name != null
                        && name.isJsonPrimitive()
                        && "default".equals(name.getAsString())
                        && template != null
                        && template.isJsonPrimitive()) {
                    return template.getAsString();
                }
            }
            return null;
        }
        if (value.isJsonNull()) {
            return null;
        }
        throw new IOException(config + ": chat_template must be a string or a list of {name, template}");
    }

    /** A special token's string: written as a string or as an object with its {@code content}. */
    private static String tokenContent(JsonElement value) {
        if (value != null && value.isJsonPrimitive()) {
            return value.getAsString();
        }
        JsonElement content =
                value != null && value.isJsonObject() ? value.getAsJsonObject().get("content") : null;
        if (content != null && content.isJsonPrimitive()) {
            return content.getAsString();
        }
        return null;
    }

    /** The {@code tokenizer.json} this tokenizer was loaded from. */
    public Path file() {
        return file;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    public OptionalInt bos() {
        return bos;
    }

    public OptionalInt eos() {
        return eos;
    }

    public OptionalInt pad() {
        return pad;
    }

    public OptionalInt separator() {
        return separator;
    }

    /** The pad token, else the end-of-text token (GPT-2 has no pad: transformers' recipes pad with EOS), else 0. */
    @Override
    public int padId() {
        return pad.orElse(eos.orElse(0));
    }

    @Override
    public int[] inputPrefix() {
        return prefix.clone();
    }

    @Override
    public int[] inputSuffix() {
        return suffix.clone();
    }

    /** Nothing: a Hugging Face model's prompt and completion are concatenated. */
    @Override
    public int[] promptEnd() {
        return new int[0];
    }

    @Override
    public int bosId() {
        return required(bos, "bos_token");
    }

    @Override
    public int eosId() {
        return required(eos, "eos_token");
    }

    @Override
    public int separatorId() {
        return required(separator, "sep_token");
    }

    @Override
    public int[] encode(String text) {
        return ids(tokenizer.encode(text, false, false));
    }

    /** The ids of {@code text} with the special tokens the tokenizer's post-processor adds. */
    public int[] encodeWithSpecialTokens(String text) {
        return ids(tokenizer.encode(text, true, false));
    }

    /** The text of {@code ids} without special tokens; ids outside the vocabulary are left out. */
    @Override
    public String decode(int[] ids) {
        return decode(ids, true);
    }

    /** The text of {@code ids}; ids outside the vocabulary are left out. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] known = Arrays.stream(ids)
                .filter(id -> id >= 0 && id < vocabularySize)
                .asLongStream()
                .toArray();
        return tokenizer.decode(known, skipSpecialTokens);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private int required(OptionalInt id, String name) {
        if (id.isEmpty()) {
            throw new IllegalStateException(file.resolveSibling(TOKENIZER_CONFIG_JSON) + " names no " + name
                    + " (or it is not a token of " + file + ")");
        }
        return id.getAsInt();
    }

    private static int indexOf(int[] whole, int[] part) {
        for (int i = 0; i + part.length <= whole.length; i++) {
            if (Arrays.equals(whole, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        return -1;
    }

    private static int[] ids(Encoding encoding) {
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    private static JsonObject readObject(Path file) throws IOException {
        JsonElement root;
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(in);
        } catch (JsonParseException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new IOException(file + ": not a JSON object");
        }
        return root.getAsJsonObject();
    }

    /** Collects token to id from the model's vocabulary and the added tokens; returns the largest id + 1. */
    private static int vocabulary(Path file, JsonObject json, Map<String, Integer> tokens) throws IOException {
        try {
            JsonObject model = json.getAsJsonObject("model");
            if (model == null) {
                throw new IOException(file + ": no \"model\"");
            }
            JsonElement vocab = model.get("vocab");
            if (vocab != null && vocab.isJsonObject()) {
                for (Map.Entry<String, JsonElement> token :
                        vocab.getAsJsonObject().entrySet()) {
                    tokens.put(token.getKey(), token.getValue().getAsInt());
                }
            } else if (vocab != null && vocab.isJsonArray()) {
                // Unigram: [[piece, score], ...], the index is the id
                for (int i = 0; i < vocab.getAsJsonArray().size(); i++) {
                    tokens.put(
                            vocab.getAsJsonArray()
                                    .get(i)
                                    .getAsJsonArray()
                                    .get(0)
                                    .getAsString(),
                            i);
                }
            } else {
                throw new IOException(file + ": the model has no vocabulary");
            }
            JsonElement added = json.get("added_tokens");
            if (added != null && added.isJsonArray()) {
                for (JsonElement token : added.getAsJsonArray()) {
                    JsonObject t = token.getAsJsonObject();
                    tokens.put(t.get("content").getAsString(), t.get("id").getAsInt());
                }
            }
        } catch (IllegalStateException | ClassCastException | UnsupportedOperationException | NullPointerException e) {
            throw new IOException(file + ": not a tokenizer.json vocabulary: " + e.getMessage(), e);
        }
        int max = tokens.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (max < 0) {
            throw new IOException(file + ": an empty vocabulary");
        }
        return max + 1;
    }

    /** Fills {@code bos_token} and {@code eos_token} not yet known from a model config's token ids. */
    private static void modelTokenIds(Path config, int vocabularySize, Map<String, OptionalInt> ids)
            throws IOException {
        if (!Files.isRegularFile(config)) {
            return;
        }
        JsonObject json = readObject(config);
        for (String name : new String[] {"bos_token", "eos_token"}) {
            JsonElement value = json.get(name + "_id");
            if (value != null && value.isJsonArray() && !value.getAsJsonArray().isEmpty()) {
                value = value.getAsJsonArray().get(0); // several stop tokens: the first is the end of text
            }
            if (ids.get(name).isEmpty()
                    && value != null
                    && value.isJsonPrimitive()
                    && value.getAsJsonPrimitive().isNumber()) {
                int id = value.getAsInt();
                if (id >= 0 && id < vocabularySize) {
                    ids.put(name, OptionalInt.of(id));
                }
            }
        }
    }

    private static Map<String, OptionalInt> specialTokens(Path config, Map<String, Integer> tokens) throws IOException {
        Map<String, OptionalInt> ids = new HashMap<>();
        JsonObject json = Files.exists(config) ? readObject(config) : new JsonObject();
        for (String name : new String[] {"bos_token", "eos_token", "pad_token", "sep_token"}) {
            String content = tokenContent(json.get(name));
            Integer id = content == null ? null : tokens.get(content);
            ids.put(name, id == null ? OptionalInt.empty() : OptionalInt.of(id));
        }
        return ids;
    }
}
