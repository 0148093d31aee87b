package dev.sublinear.testing;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.training.tokenizer.Gpt2TokenizerJson;
import dev.sublinear.training.weights.SafetensorsWriter;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tiny Hugging Face model directories with random weights, written as transformers would save them,
 * for tests that need a whole model quickly: a byte-level BPE tokenizer in GPT-2's format (256 byte
 * tokens, two merges, {@code th} = 256 and {@code er} = 257, and {@code <|endoftext|>} = 258),
 * config.json and safetensors.
 */
public final class TinyHfModels {

    public static final int VOCAB = 259;
    public static final int END_OF_TEXT = 258;

    /** {@code <|im_start|>} in {@link #qwen3ChatMl} with ChatML tokens: added tokens follow the vocabulary. */
    public static final int IM_START = 259;

    /** {@code <|im_end|>} in {@link #qwen3ChatMl} with ChatML tokens. */
    public static final int IM_END = 260;

    /** ChatML, the conversation format of Qwen's own templates. */
    public static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{'<|im_start|>assistant\\n'}}{% endif %}";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private TinyHfModels() {}

    /**
     * The sizes of a GPT-2: vocabulary, positions, width, blocks and heads.
     *
     * @param weightStd the standard deviation of the random matrices and embeddings
     */
    public record Gpt2Size(int vocab, int positions, int width, int layers, int heads, double weightStd) {

        /** The fixtures' GPT-2: 2 blocks of width 32, 4 heads, 64 positions, this class's tokenizer. */
        public static final Gpt2Size TINY = new Gpt2Size(VOCAB, 64, 32, 2, 4, 0.2);

        /** GPT-2 small's sizes (124M parameters), weights normal(0, 0.02) as GPT-2 initialises them. */
        public static final Gpt2Size SMALL = new Gpt2Size(50257, 1024, 768, 12, 12, 0.02);

        /** Parameters, the LM head being tied to the token embedding. */
        public long parameters() {
            long d = width;
            long perBlock = 2 * d + d * 3 * d + 3 * d + d * d + d + 2 * d + d * 4 * d + 4 * d + 4 * d * d + d;
            return (long) vocab * d + (long) positions * d + layers * perBlock + 2 * d;
        }
    }

    /** A 2-layer GPT-2 of width 32 and 64 positions, its weights stored as {@code type}. */
    public static Path gpt2(Path directory, WeightType type, long seed) throws IOException {
        return gpt2(directory, Gpt2Size.TINY, type, seed);
    }

    /**
     * A GPT-2 of {@code size}, its weights stored as {@code type} and written one tensor at a time. Its
     * tokenizer is this class's byte-level BPE padded to the vocabulary with filler tokens (that no text
     * encodes to), {@code <|endoftext|>} being the last id.
     */
    public static Path gpt2(Path directory, Gpt2Size size, WeightType type, long seed) throws IOException {
        if (size.vocab() < VOCAB) {
            throw new IllegalArgumentException("a vocabulary of at least " + VOCAB + " tokens: " + size.vocab());
        }
        int d = size.width();
        int eot = size.vocab() - 1;
        Files.createDirectories(directory);
        JsonObject config = new JsonObject();
        config.addProperty("model_type", "gpt2");
        config.addProperty("vocab_size", size.vocab());
        config.addProperty("n_positions", size.positions());
        config.addProperty("n_embd", d);
        config.addProperty("n_layer", size.layers());
        config.addProperty("n_head", size.heads());
        config.addProperty("activation_function", "gelu_new");
        config.addProperty("layer_norm_epsilon", 1e-5);
        config.addProperty("bos_token_id", eot);
        config.addProperty("eos_token_id", eot);
        config.addProperty("torch_dtype", type == WeightType.BF16 ? "bfloat16" : "float32");
        Files.writeString(directory.resolve("config.json"), GSON.toJson(config));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("transformer.wte.weight", new long[] {size.vocab(), d});
        shapes.put("transformer.wpe.weight", new long[] {size.positions(), d});
        for (int i = 0; i < size.layers(); i++) {
            String h = "transformer.h." + i + ".";
            shapes.put(h + "ln_1.weight", new long[] {d});
            shapes.put(h + "ln_1.bias", new long[] {d});
            shapes.put(h + "attn.c_attn.weight", new long[] {d, 3L * d});
            shapes.put(h + "attn.c_attn.bias", new long[] {3L * d});
            shapes.put(h + "attn.c_proj.weight", new long[] {d, d});
            shapes.put(h + "attn.c_proj.bias", new long[] {d});
            shapes.put(h + "ln_2.weight", new long[] {d});
            shapes.put(h + "ln_2.bias", new long[] {d});
            shapes.put(h + "mlp.c_fc.weight", new long[] {d, 4L * d});
            shapes.put(h + "mlp.c_fc.bias", new long[] {4L * d});
            shapes.put(h + "mlp.c_proj.weight", new long[] {4L * d, d});
            shapes.put(h + "mlp.c_proj.bias", new long[] {d});
        }
        shapes.put("transformer.ln_f.weight", new long[] {d});
        shapes.put("transformer.ln_f.bias", new long[] {d});
        writeWeights(directory, shapes, type, seed, size.weightStd());
        byteTokenizer(directory, false, size.vocab());
        return directory;
    }

    /**
     * A 2-layer qwen3 (q/k norms, explicit head_dim) or llama (a BOS the tokenizer adds, GQA, untied
     * head) of width 32, its weights stored as {@code type}.
     */
    public static Path llama(Path directory, String modelType, WeightType type, long seed) throws IOException {
        llamaWeights(directory, modelType, type, seed, VOCAB + 1, VOCAB, END_OF_TEXT, 64);
        byteTokenizer(directory, !modelType.equals("qwen3"), VOCAB);
        return directory;
    }

    /**
     * The qwen3 of {@link #llama} chatting in {@link #CHATML} (the template in {@code
     * tokenizer_config.json}), with 256 positions: room for a conversation in byte-sized tokens (rotary
     * positions have no weights). With {@code chatMlTokens}, {@code <|im_start|>} ({@value
     * #IM_START}) and {@code <|im_end|>} ({@value #IM_END}) are added special tokens of {@code
     * tokenizer.json}, one id each, and {@code <|im_end|>} ends the text, as in Qwen's instruct
     * models; without, the template's markers are bytes like any text and {@code <|endoftext|>} ends it.
     */
    public static Path qwen3ChatMl(Path directory, WeightType type, long seed, boolean chatMlTokens)
            throws IOException {
        // with ChatML tokens, <|endoftext|> is the BOS of the config as in Qwen3's (nothing puts it first)
        int bos = chatMlTokens ? END_OF_TEXT : VOCAB;
        int eos = chatMlTokens ? IM_END : END_OF_TEXT;
        llamaWeights(directory, "qwen3", type, seed, chatMlTokens ? IM_END + 1 : VOCAB + 1, bos, eos, 256);
        byteTokenizer(directory, false, VOCAB);
        JsonObject config = new JsonObject();
        config.addProperty("chat_template", CHATML);
        config.addProperty("eos_token", chatMlTokens ? "<|im_end|>" : Gpt2TokenizerJson.END_OF_TEXT);
        Files.writeString(directory.resolve("tokenizer_config.json"), config.toString());
        if (chatMlTokens) {
            Path file = directory.resolve("tokenizer.json");
            JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            json.getAsJsonArray("added_tokens").add(specialToken(IM_START, "<|im_start|>"));
            json.getAsJsonArray("added_tokens").add(specialToken(IM_END, "<|im_end|>"));
            Files.writeString(file, json.toString());
        }
        return directory;
    }

    private static JsonObject specialToken(int id, String content) {
        JsonObject token = new JsonObject();
        token.addProperty("id", id);
        token.addProperty("content", content);
        token.addProperty("single_word", false);
        token.addProperty("lstrip", false);
        token.addProperty("rstrip", false);
        token.addProperty("normalized", false);
        token.addProperty("special", true);
        return token;
    }

    private static void llamaWeights(
            Path directory, String modelType, WeightType type, long seed, int vocab, int bos, int eos, int positions)
            throws IOException {
        Files.createDirectories(directory);
        boolean qwen3 = modelType.equals("qwen3");
        int heads = 4;
        int kvHeads = 2;
        int headDim = qwen3 ? 16 : 8;
        JsonObject config = new JsonObject();
        config.addProperty("model_type", modelType);
        config.addProperty("vocab_size", vocab);
        config.addProperty("hidden_size", 32);
        config.addProperty("intermediate_size", 64);
        config.addProperty("num_hidden_layers", 2);
        config.addProperty("num_attention_heads", heads);
        config.addProperty("num_key_value_heads", kvHeads);
        config.addProperty("head_dim", headDim);
        config.addProperty("max_position_embeddings", positions);
        config.addProperty("rms_norm_eps", 1e-6);
        config.addProperty("rope_theta", 10000.0);
        config.addProperty("tie_word_embeddings", qwen3);
        config.addProperty("eos_token_id", eos);
        config.addProperty("bos_token_id", bos);
        config.addProperty("torch_dtype", type == WeightType.BF16 ? "bfloat16" : "float32");
        Files.writeString(directory.resolve("config.json"), GSON.toJson(config));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, 32});
        for (int i = 0; i < 2; i++) {
            String l = "model.layers." + i + ".";
            shapes.put(l + "self_attn.q_proj.weight", new long[] {(long) heads * headDim, 32});
            shapes.put(l + "self_attn.k_proj.weight", new long[] {(long) kvHeads * headDim, 32});
            shapes.put(l + "self_attn.v_proj.weight", new long[] {(long) kvHeads * headDim, 32});
            shapes.put(l + "self_attn.o_proj.weight", new long[] {32, (long) heads * headDim});
            if (qwen3) {
                shapes.put(l + "self_attn.q_norm.weight", new long[] {headDim});
                shapes.put(l + "self_attn.k_norm.weight", new long[] {headDim});
            }
            shapes.put(l + "mlp.gate_proj.weight", new long[] {64, 32});
            shapes.put(l + "mlp.up_proj.weight", new long[] {64, 32});
            shapes.put(l + "mlp.down_proj.weight", new long[] {32, 64});
            shapes.put(l + "input_layernorm.weight", new long[] {32});
            shapes.put(l + "post_attention_layernorm.weight", new long[] {32});
        }
        shapes.put("model.norm.weight", new long[] {32});
        if (!qwen3) {
            shapes.put("lm_head.weight", new long[] {vocab, 32});
        }
        writeWeights(directory, shapes, type, seed, 0.2);
    }

    /**
     * GPT-2's byte-level BPE; with {@code bos} a {@code <s>} token (id 259) that the
     * post-processor puts before every text, as llama's tokenizers do. A {@code vocab} above {@value
     * #VOCAB} adds filler tokens before {@code <|endoftext|>}, which takes the last id.
     */
    private static void byteTokenizer(Path directory, boolean bos, int vocab) throws IOException {
        Path sources = Files.createTempDirectory("tiny-tokenizer-");
        JsonObject encoder = new JsonObject();
        List<Integer> bytes = byteOrder();
        for (int b = 0; b < 256; b++) {
            encoder.addProperty(String.valueOf(Character.toChars(bytes.get(b))), b);
        }
        encoder.addProperty("th", 256);
        encoder.addProperty("er", 257);
        for (int filler = 258; filler < vocab - 1; filler++) {
            encoder.addProperty("<filler_" + filler + ">", filler);
        }
        encoder.addProperty(Gpt2TokenizerJson.END_OF_TEXT, vocab - 1);
        Files.writeString(sources.resolve("encoder.json"), encoder.toString());
        Files.writeString(sources.resolve("vocab.bpe"), "#version: 0.2\nt h\ne r\n");
        Gpt2TokenizerJson.write(sources.resolve("encoder.json"), sources.resolve("vocab.bpe"), directory);
        if (!bos) {
            return;
        }
        Path file = directory.resolve("tokenizer.json");
        JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        JsonObject token = new JsonObject();
        token.addProperty("id", VOCAB);
        token.addProperty("content", "<s>");
        token.addProperty("single_word", false);
        token.addProperty("lstrip", false);
        token.addProperty("rstrip", false);
        token.addProperty("normalized", false);
        token.addProperty("special", true);
        json.getAsJsonArray("added_tokens").add(token);
        json.add("post_processor", JsonParser.parseString("""
                {"type": "TemplateProcessing",
                 "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                 "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                          {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                 "special_tokens": {"<s>": {"id": "<s>", "ids": [259], "tokens": ["<s>"]}}}"""));
        Files.writeString(file, json.toString());
        JsonObject tokenizerConfig = new JsonObject();
        tokenizerConfig.addProperty("bos_token", "<s>");
        tokenizerConfig.addProperty("eos_token", Gpt2TokenizerJson.END_OF_TEXT);
        Files.writeString(directory.resolve("tokenizer_config.json"), tokenizerConfig.toString());
    }

    /** GPT-2's byte-to-character table: printable bytes map to themselves, the rest to 256 and up. */
    private static List<Integer> byteOrder() {
        Integer[] chars = new Integer[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF;
            chars[b] = printable ? b : next++;
        }
        return List.of(chars);
    }

    /**
     * A 2-layer BERT encoder of width 32 as a {@code BertModel} checkpoint (no {@code bert.} prefix,
     * its pooler but no classifier), with all-MiniLM-L6-v2's WordPiece {@code tokenizer.json} from the
     * test class path (30,522 tokens; [CLS] text [SEP]).
     */
    public static Path bert(Path directory, long seed) throws IOException {
        Files.createDirectories(directory);
        int vocab = 30522;
        JsonObject config = new JsonObject();
        config.addProperty("model_type", "bert");
        config.addProperty("vocab_size", vocab);
        config.addProperty("hidden_size", 32);
        config.addProperty("num_hidden_layers", 2);
        config.addProperty("num_attention_heads", 4);
        config.addProperty("intermediate_size", 64);
        config.addProperty("max_position_embeddings", 64);
        config.addProperty("type_vocab_size", 2);
        config.addProperty("hidden_act", "gelu");
        config.addProperty("layer_norm_eps", 1e-12);
        config.addProperty("initializer_range", 0.02);
        config.addProperty("pad_token_id", 0);
        Files.writeString(directory.resolve("config.json"), GSON.toJson(config));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("embeddings.word_embeddings.weight", new long[] {vocab, 32});
        shapes.put("embeddings.position_embeddings.weight", new long[] {64, 32});
        shapes.put("embeddings.token_type_embeddings.weight", new long[] {2, 32});
        shapes.put("embeddings.LayerNorm.weight", new long[] {32});
        shapes.put("embeddings.LayerNorm.bias", new long[] {32});
        for (int i = 0; i < 2; i++) {
            String l = "encoder.layer." + i + ".";
            for (String dense : List.of(
                    "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")) {
                shapes.put(l + dense + ".weight", new long[] {32, 32});
                shapes.put(l + dense + ".bias", new long[] {32});
            }
            shapes.put(l + "attention.output.LayerNorm.weight", new long[] {32});
            shapes.put(l + "attention.output.LayerNorm.bias", new long[] {32});
            shapes.put(l + "intermediate.dense.weight", new long[] {64, 32});
            shapes.put(l + "intermediate.dense.bias", new long[] {64});
            shapes.put(l + "output.dense.weight", new long[] {32, 64});
            shapes.put(l + "output.dense.bias", new long[] {32});
            shapes.put(l + "output.LayerNorm.weight", new long[] {32});
            shapes.put(l + "output.LayerNorm.bias", new long[] {32});
        }
        shapes.put("pooler.dense.weight", new long[] {32, 32});
        shapes.put("pooler.dense.bias", new long[] {32});
        writeWeights(directory, shapes, WeightType.F32, seed, 0.2);
        String resource = "all-minilm-l6-v2-tokenizer.json";
        try (InputStream in = TinyHfModels.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is not on the test class path (langchain4j's MiniLM jar)");
            }
            Files.copy(in, directory.resolve("tokenizer.json"));
        }
        return directory;
    }

    private static void writeWeights(
            Path directory, Map<String, long[]> shapes, WeightType type, long seed, double weightStd)
            throws IOException {
        Random random = new Random(seed);
        SafetensorsWriter writer = new SafetensorsWriter(type);
        shapes.forEach(writer::add);
        writer.write(directory, name -> {
            long[] shape = shapes.get(name);
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            float[] values = new float[(int) n];
            boolean norm = name.endsWith("norm.weight")
                    || name.endsWith("LayerNorm.weight")
                    || name.contains(".ln_") && name.endsWith(".weight");
            for (int i = 0; i < values.length; i++) {
                values[i] = norm
                        ? 1f + 0.1f * (float) random.nextGaussian()
                        : name.endsWith(".bias")
                                ? 0.02f * (float) random.nextGaussian()
                                : (float) weightStd * (float) random.nextGaussian();
            }
            return FloatBuffer.wrap(values);
        });
    }
}
