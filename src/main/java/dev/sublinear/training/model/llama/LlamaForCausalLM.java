package dev.sublinear.training.model.llama;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.CausalLm;
import dev.sublinear.training.model.HfBlock;
import dev.sublinear.training.model.KvCache;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.TensorInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The llama family with its language-model head: computes what transformers' {@code
 * LlamaForCausalLM}, {@code Qwen2ForCausalLM} and {@code Qwen3ForCausalLM} compute in eval mode
 * (float32, no dropout, no KV cache, no padding mask), the family chosen by {@link LlamaConfig}'s
 * flags. Input: token ids [B, T] (int64); output: logits [B, T, vocab_size].
 *
 * <p>Follows transformers' {@code src/transformers/models/llama/modeling_llama.py} ({@code
 * LlamaRMSNorm}, {@code LlamaRotaryEmbedding}, {@code rotate_half}, {@code apply_rotary_pos_emb},
 * {@code repeat_kv}, {@code eager_attention_forward}, {@code LlamaAttention}, {@code LlamaMLP}, {@code
 * LlamaDecoderLayer}, {@code LlamaModel}, {@code LlamaForCausalLM}), {@code
 * models/qwen2/modeling_qwen2.py} (the same with q/k/v biases on and o_proj's off), {@code
 * models/qwen3/modeling_qwen3.py} ({@code Qwen3Attention}: q_norm and k_norm over each head before
 * RoPE) and {@code modeling_rope_utils.py} ({@code _compute_default_rope_parameters}, {@code
 * _compute_llama3_parameters}; both have attention_scaling 1, so cos and sin are not rescaled).
 * RMSNorm is computed in float32 then multiplied by its weight (weight * hidden), as there; with a
 * {@code pad_token_id} its embedding row gets no gradient from the lookup, as nn.Embedding's
 * padding_idx (a tied head still trains it through the logits).
 *
 * <p>Every parameter is a DJL {@link Parameter} named by its Hugging Face name ({@link
 * #hfParameters()}): {@code model.embed_tokens.weight} [V, d]; per layer {@code model.layers.i.}
 * {@code self_attn.q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj} (weights nn.Linear's (out,
 * in); biases as the config says), for qwen3 {@code self_attn.q_norm.weight} and {@code
 * k_norm.weight} [head_dim], {@code mlp.gate_proj}, {@code up_proj}, {@code down_proj}, {@code
 * input_layernorm.weight} and {@code post_attention_layernorm.weight}; {@code model.norm.weight};
 * and {@code lm_head.weight} [V, d] unless tie_word_embeddings, when the head is embed_tokens.
 *
 * <p>Forward, per layer: h = x + attn(rms(x)); y = h + down(silu(gate(rms(h))) * up(rms(h))), with
 * rms(x) = x / sqrt(mean(x^2) + eps) * weight. Attention: q, k, v projected and split into heads
 * (num_attention_heads for q, num_key_value_heads for k and v), for qwen3 each head of q and k
 * RMS-normalised, then rotate-half RoPE (q cos + rotate_half(q) sin with angles position *
 * theta^(-2j / head_dim), the half-width table repeated twice), k and v repeated to every query head
 * of their group (with the llama3 rope_scaling, the frequencies rescaled as {@link
 * LlamaConfig.Llama3Scaling} says), scores q k^T / sqrt(head_dim) with key j hidden from query i when j &gt; i,
 * softmax, then o_proj over the concatenated heads.
 */
public final class LlamaForCausalLM extends HfBlock implements CausalLm {

    private static final String EMBED_TOKENS = "model.embed_tokens.weight";
    private static final String LM_HEAD = "lm_head.weight";

    /** The rotary inverse frequencies older transformers saved as a buffer of every layer. */
    private static final Pattern ROTARY_BUFFER =
            Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    /** Added to the scores of future keys; softmax turns it into exactly 0 without NaN from -inf. */
    private static final float FORBIDDEN = -1e9f;

    private final LlamaConfig config;
    private final Parameter embedTokens;
    private final List<Layer> layers = new ArrayList<>();
    private final Parameter norm;
    private final Parameter lmHead;

    /** nn.Linear: weight (out, in), bias (out) or null. */
    private record Linear(Parameter weight, Parameter bias) {}

    /** Parameters of one decoder layer, {@code model.layers.i.*}; qNorm and kNorm null but in qwen3. */
    private record Layer(
            Linear q,
            Linear k,
            Linear v,
            Linear o,
            Parameter qNorm,
            Parameter kNorm,
            Linear gate,
            Linear up,
            Linear down,
            Parameter inputLayernorm,
            Parameter postAttentionLayernorm) {}

    public LlamaForCausalLM(LlamaConfig config) {
        super(config.modelType());
        this.config = config;
        int d = config.hiddenSize();
        int hd = config.headDim();
        int qWidth = config.numAttentionHeads() * hd;
        int kvWidth = config.numKeyValueHeads() * hd;
        int inner = config.intermediateSize();
        embedTokens = weight(EMBED_TOKENS, new Shape(config.vocabSize(), d));
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            Linear q = linear(p + "self_attn.q_proj", qWidth, d, config.qkvBias());
            Linear k = linear(p + "self_attn.k_proj", kvWidth, d, config.qkvBias());
            Linear v = linear(p + "self_attn.v_proj", kvWidth, d, config.qkvBias());
            Linear o = linear(p + "self_attn.o_proj", d, qWidth, config.oBias());
            Parameter qNorm = config.qkNorm() ? ones(p + "self_attn.q_norm.weight", hd) : null;
            Parameter kNorm = config.qkNorm() ? ones(p + "self_attn.k_norm.weight", hd) : null;
            Linear gate = linear(p + "mlp.gate_proj", inner, d, config.mlpBias());
            Linear up = linear(p + "mlp.up_proj", inner, d, config.mlpBias());
            Linear down = linear(p + "mlp.down_proj", d, inner, config.mlpBias());
            layers.add(new Layer(
                    q,
                    k,
                    v,
                    o,
                    qNorm,
                    kNorm,
                    gate,
                    up,
                    down,
                    ones(p + "input_layernorm.weight", d),
                    ones(p + "post_attention_layernorm.weight", d)));
        }
        norm = ones("model.norm.weight", d);
        lmHead = config.tieWordEmbeddings() ? null : weight(LM_HEAD, new Shape(config.vocabSize(), d));
    }

    public LlamaConfig config() {
        return config;
    }

    @Override
    public TaskType task() {
        return TaskType.CAUSAL_LM;
    }

    @Override
    public int contextLength() {
        return config.maxPositionEmbeddings();
    }

    /**
     * Sets every parameter from a checkpoint as transformers saves and from_pretrained loads it: the
     * names of {@link #hfParameters()}, plus two variants that from_pretrained accepts for these
     * families. With tie_word_embeddings, an {@code lm_head.weight} (written by some savers although
     * it is embed_tokens) must have embed_tokens' shape and values and is then dropped; one that
     * differs is refused (this block cannot untie its head). Checkpoints of transformers before 4.31
     * hold the rotary buffers {@code model.layers.i.self_attn.rotary_emb.inv_freq} (constants computed
     * from the config): skipped unread. Everything else is as strict as {@link
     * #loadWeights(NDManager, Map)}: a name missing, unexpected or misshaped is refused, naming it,
     * before any parameter is set.
     */
    @Override
    public Set<String> loadCheckpoint(NDManager manager, SafetensorsReader reader) throws IOException {
        Map<String, Shape> given = new LinkedHashMap<>();
        boolean head = false;
        for (TensorInfo tensor : reader.tensors()) {
            String name = tensor.name();
            if (ROTARY_BUFFER.matcher(name).matches()) {
                continue;
            }
            if (lmHead == null && name.equals(LM_HEAD)) {
                head = true;
                Shape shape = new Shape(tensor.shape());
                if (!shape.equals(parameters.shapes().get(EMBED_TOKENS))) {
                    throw new IllegalArgumentException(
                            "llama weights: tied lm_head.weight has shape " + shape + ", not embed_tokens'");
                }
                continue;
            }
            given.put(name, new Shape(tensor.shape()));
        }
        parameters.check(given);
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        try (NDManager scratch = manager.newSubManager()) {
            for (String name : parameters.byName().keySet()) {
                arrays.put(name, reader.read(name, scratch));
            }
            if (head && !reader.read(LM_HEAD, scratch).contentEquals(arrays.get(EMBED_TOKENS))) {
                throw new IllegalArgumentException("llama weights: lm_head.weight differs from"
                        + " model.embed_tokens.weight although tie_word_embeddings is set");
            }
            parameters.setAll(manager, arrays);
        }
        return Set.of();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(logits(store, inputs.get(0), null, training));
    }

    @Override
    public int layerCount() {
        return layers.size();
    }

    /**
     * The forward with {@code past_key_values} as LlamaModel runs it: rotary angles of positions from
     * the cache's length on (cache_position), each layer's keys (after q/k norm and RoPE) and values
     * cached per key/value head, before they are repeated for the query groups.
     */
    @Override
    public NDArray forward(ParameterStore store, NDArray ids, KvCache cache) {
        int positions = cache.length() + (int) ids.getShape().get(1);
        if (positions > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + positions + " tokens exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray logits = logits(store, ids, cache, false);
        cache.advance((int) ids.getShape().get(1));
        return logits;
    }

    /** Logits of {@code ids} after the cache's positions (none when {@code cache} is null). */
    private NDArray logits(ParameterStore store, NDArray ids, KvCache cache, boolean training) {
        NDManager manager = ids.getManager();
        long length = ids.getShape().get(1);
        int offset = cache == null ? 0 : cache.length();
        NDArray table = store.getValue(embedTokens, ids.getDevice(), training);
        NDArray h = Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
        if (training && config.padTokenId() >= 0) {
            // nn.Embedding(padding_idx): the same values, no gradient into the pad row from the lookup
            NDArray pad = ids.eq(config.padTokenId()).expandDims(-1).toType(h.getDataType(), false);
            h = h.mul(pad.neg().add(1f)).add(h.stopGradient().mul(pad));
        }
        NDArray[] rope = rope(manager, offset, length, ids.getDevice());
        // one new token after a cache sees every key: no bias
        NDArray bias = length == 1 && offset > 0 ? null : causalBias(manager, offset, length, ids.getDevice());
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            NDArray a = rmsNorm(store, h, layer.inputLayernorm(), training);
            h = h.add(attention(store, a, layer, rope[0], rope[1], bias, cache, i, training));
            NDArray m = rmsNorm(store, h, layer.postAttentionLayernorm(), training);
            NDArray gate = silu(linear(store, m, layer.gate(), training));
            h = h.add(linear(store, gate.mul(linear(store, m, layer.up(), training)), layer.down(), training));
        }
        h = rmsNorm(store, h, norm, training);
        NDArray head = lmHead == null ? table : store.getValue(lmHead, ids.getDevice(), training);
        return h.matMul(transposed(head, manager));
    }

    private NDArray attention(
            ParameterStore store,
            NDArray x,
            Layer layer,
            NDArray cos,
            NDArray sin,
            NDArray bias,
            KvCache cache,
            int index,
            boolean training) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int hd = config.headDim();
        NDArray q = linear(store, x, layer.q(), training).reshape(batch, length, heads, hd);
        NDArray k = linear(store, x, layer.k(), training).reshape(batch, length, kvHeads, hd);
        NDArray v = linear(store, x, layer.v(), training).reshape(batch, length, kvHeads, hd);
        if (layer.qNorm() != null) {
            q = rmsNorm(store, q, layer.qNorm(), training);
            k = rmsNorm(store, k, layer.kNorm(), training);
        }
        q = q.transpose(0, 2, 1, 3);
        k = k.transpose(0, 2, 1, 3);
        v = v.transpose(0, 2, 1, 3);
        q = q.mul(cos).add(rotateHalf(q).mul(sin));
        k = k.mul(cos).add(rotateHalf(k).mul(sin));
        if (cache != null) {
            NDArray[] kv = cache.extend(index, k, v);
            k = kv[0];
            v = kv[1];
        }
        k = repeatKv(k, heads / kvHeads);
        v = repeatKv(v, heads / kvHeads);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scalar(x, 1 / Math.sqrt(hd)));
        NDArray attended =
                (bias == null ? scores : scores.add(bias)).softmax(-1).matMul(v);
        NDArray merged = attended.transpose(0, 2, 1, 3).reshape(batch, length, (long) heads * hd);
        return linear(store, merged, layer.o(), training);
    }

    /** [x1, x2] (halves of the last axis) to [-x2, x1]. */
    private static NDArray rotateHalf(NDArray x) {
        int last = x.getShape().dimension() - 1;
        long half = x.getShape().get(last) / 2;
        NDList halves = x.split(new long[] {half}, last);
        return NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), last);
    }

    /** [B, kvH, T, D] to [B, kvH * repeats, T, D], each key/value head repeated for its query group. */
    private static NDArray repeatKv(NDArray x, int repeats) {
        if (repeats == 1) {
            return x;
        }
        Shape shape = x.getShape();
        return x.expandDims(2)
                .broadcast(new Shape(shape.get(0), shape.get(1), repeats, shape.get(2), shape.get(3)))
                .reshape(shape.get(0), shape.get(1) * repeats, shape.get(2), shape.get(3));
    }

    /**
     * cos and sin [1, 1, T, head_dim] of position * inv_freq for the positions offset .. offset + T - 1,
     * inv_freq[j] = 1 / theta^(2j / head_dim), the half-width table concatenated with itself; in
     * float32 as transformers computes it.
     */
    private NDArray[] rope(NDManager manager, int offset, long length, Device device) {
        int hd = config.headDim();
        float[] invFreq = new float[hd / 2];
        for (int j = 0; j < invFreq.length; j++) {
            float exponent = (float) (2 * j) / hd;
            invFreq[j] = (float) (1.0 / (float) Math.pow(config.ropeTheta(), exponent));
            if (config.llama3Scaling() != null) {
                invFreq[j] = (float) config.llama3Scaling().scale(invFreq[j]);
            }
        }
        float[] cos = new float[(int) length * hd];
        float[] sin = new float[(int) length * hd];
        for (int t = 0; t < length; t++) {
            for (int j = 0; j < hd; j++) {
                float angle = (offset + t) * invFreq[j % (hd / 2)];
                cos[t * hd + j] = (float) Math.cos(angle);
                sin[t * hd + j] = (float) Math.sin(angle);
            }
        }
        Shape shape = new Shape(1, 1, length, hd);
        return new NDArray[] {
            manager.create(cos, shape).toDevice(device, false),
            manager.create(sin, shape).toDevice(device, false)
        };
    }

    /**
     * 0 where new query i (at position offset + i) may see key j (j &lt;= offset + i), FORBIDDEN
     * elsewhere: [1, 1, T, offset + T].
     */
    private static NDArray causalBias(NDManager manager, int offset, long length, Device device) {
        long keys = offset + length;
        NDArray queries = manager.arange(offset, (int) keys, 1, DataType.INT32, device);
        NDArray positions = manager.arange(0, (int) keys, 1, DataType.INT32, device);
        NDArray allowed =
                positions.reshape(1, keys).lte(queries.reshape(length, 1)).toType(DataType.FLOAT32, false);
        return allowed.sub(1f).mul(-FORBIDDEN).reshape(1, 1, length, keys);
    }

    /** nn.Linear: x W^T + b, W stored (out, in). */
    private static NDArray linear(ParameterStore store, NDArray x, Linear layer, boolean training) {
        NDArray y = x.matMul(transposed(store.getValue(layer.weight(), x.getDevice(), training), x.getManager()));
        return layer.bias() == null ? y : y.add(store.getValue(layer.bias(), x.getDevice(), training));
    }

    /**
     * A parameter's transpose, owned by the forward's {@code manager}: made from the parameter, it would
     * belong to the model's manager and stay there after the forward, one array a call.
     */
    private static NDArray transposed(NDArray weight, NDManager manager) {
        NDArray t = weight.transpose();
        t.attach(manager);
        return t;
    }

    /** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. */
    private NDArray rmsNorm(ParameterStore store, NDArray x, Parameter weight, boolean training) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        NDArray scaled = x.div(meanSquare.add(scalar(x, config.rmsNormEps())).sqrt());
        return scaled.mul(store.getValue(weight, x.getDevice(), training));
    }

    /** silu(x) = x * sigmoid(x). */
    private static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /**
     * A float32 scalar owned by the forward's manager. Not a Number: DJL frees the tensor it makes
     * of a Number after the op, but autograd keeps it for the backward pass (see Gpt2LMHeadModel).
     */
    private static NDArray scalar(NDArray like, double value) {
        return like.getManager().create((float) value).toDevice(like.getDevice(), false);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), config.vocabSize())};
    }

    private Linear linear(String name, long out, long in, boolean bias) {
        return new Linear(weight(name + ".weight", new Shape(out, in)), bias ? zeros(name + ".bias", out) : null);
    }

    private Parameter weight(String name, Shape shape) {
        return add(name, shape, Parameter.Type.WEIGHT, new NormalInitializer(0.02f));
    }

    private Parameter ones(String name, long size) {
        return add(name, new Shape(size), Parameter.Type.GAMMA, Initializer.ONES);
    }

    private Parameter zeros(String name, long size) {
        return add(name, new Shape(size), Parameter.Type.BIAS, Initializer.ZEROS);
    }

    /** The shape is set in prepare(), not here, so that loaded arrays can replace the initializer. */
    private Parameter add(String name, Shape shape, Parameter.Type type, Initializer initializer) {
        Parameter parameter = addParameter(Parameter.builder()
                .setName(name)
                .setType(type)
                .optInitializer(initializer)
                .build());
        return parameters.register(name, parameter, shape);
    }
}
