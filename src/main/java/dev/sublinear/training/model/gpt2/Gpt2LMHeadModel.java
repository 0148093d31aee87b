package dev.sublinear.training.model.gpt2;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
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
 * GPT-2 with its language-model head, computing what transformers' {@code GPT2LMHeadModel} computes
 * in eval mode (no dropout, no padding mask), and with a {@link KvCache} as it runs with
 * {@code past_key_values}. Input: token ids [B, T] (int64, T at most
 * n_positions); output: logits [B, T, vocab_size].
 *
 * <p>Every parameter is a DJL {@link Parameter} named by its Hugging Face name ({@link
 * #hfParameters()}): {@code transformer.wte.weight} [V, d], {@code transformer.wpe.weight} [P, d],
 * per block {@code transformer.h.i.} {@code ln_1}, {@code attn.c_attn}, {@code attn.c_proj}, {@code
 * ln_2}, {@code mlp.c_fc}, {@code mlp.c_proj}, and {@code transformer.ln_f}. The four projections
 * are GPT-2's Conv1D: the weight is stored (in, out) and the layer computes x @ W + b, so weights
 * load untransposed. The LM head is tied to {@code wte} (logits = h @ wte^T) and has no parameter
 * of its own.
 *
 * <p>Forward, per block: h = x + attn(ln_1(x)); y = h + mlp(ln_2(h)). Attention splits c_attn's
 * output into q, k, v, scores q k^T / sqrt(head_dim) with key j hidden from query i when j &gt; i,
 * softmax, then c_proj. MLP: c_proj(gelu_new(c_fc(x))), gelu_new being GELU's tanh approximation.
 *
 * <p>Follows transformers' {@code src/transformers/models/gpt2/modeling_gpt2.py} ({@code
 * GPT2Attention._attn} with scale_attn_weights: scores divided by sqrt(head_dim), future keys set to
 * the dtype's minimum; {@code GPT2MLP}, {@code GPT2Block}, {@code GPT2Model}, {@code GPT2LMHeadModel}),
 * {@code pytorch_utils.py} ({@code Conv1D}) and {@code activations.py} ({@code NewGELUActivation},
 * gelu_new); layer norms use layer_norm_epsilon.
 */
public final class Gpt2LMHeadModel extends HfBlock implements CausalLm {

    /** The prefix of every parameter name, as in GPT2LMHeadModel's state dict. */
    public static final String PREFIX = "transformer.";

    /** Added to the scores of future keys; softmax turns it into exactly 0 without NaN from -inf. */
    private static final float FORBIDDEN = -1e9f;

    /** The causal-mask buffers some checkpoints carry: constants, not parameters. */
    private static final Pattern MASK_BUFFER = Pattern.compile("transformer\\.h\\.\\d+\\.attn\\.(bias|masked_bias)");

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private final Gpt2Config config;
    private final Parameter wte;
    private final Parameter wpe;
    private final List<Layer> layers = new ArrayList<>();
    private final Parameter lnFWeight;
    private final Parameter lnFBias;

    /** Parameters of one block, {@code transformer.h.i.*}. */
    private record Layer(
            Parameter ln1Weight,
            Parameter ln1Bias,
            Parameter cAttnWeight,
            Parameter cAttnBias,
            Parameter attnProjWeight,
            Parameter attnProjBias,
            Parameter ln2Weight,
            Parameter ln2Bias,
            Parameter cFcWeight,
            Parameter cFcBias,
            Parameter mlpProjWeight,
            Parameter mlpProjBias) {}

    public Gpt2LMHeadModel(Gpt2Config config) {
        super("GPT-2");
        this.config = config;
        int d = config.nEmbd();
        wte = weight("wte.weight", new Shape(config.vocabSize(), d));
        wpe = weight("wpe.weight", new Shape(config.nPositions(), d));
        for (int i = 0; i < config.nLayer(); i++) {
            String h = "h." + i + ".";
            layers.add(new Layer(
                    ones(h + "ln_1.weight", d),
                    zeros(h + "ln_1.bias", d),
                    weight(h + "attn.c_attn.weight", new Shape(d, 3L * d)),
                    zeros(h + "attn.c_attn.bias", 3L * d),
                    weight(h + "attn.c_proj.weight", new Shape(d, d)),
                    zeros(h + "attn.c_proj.bias", d),
                    ones(h + "ln_2.weight", d),
                    zeros(h + "ln_2.bias", d),
                    weight(h + "mlp.c_fc.weight", new Shape(d, config.nInner())),
                    zeros(h + "mlp.c_fc.bias", config.nInner()),
                    weight(h + "mlp.c_proj.weight", new Shape(config.nInner(), d)),
                    zeros(h + "mlp.c_proj.bias", d)));
        }
        lnFWeight = ones("ln_f.weight", d);
        lnFBias = zeros("ln_f.bias", d);
    }

    public Gpt2Config config() {
        return config;
    }

    @Override
    public TaskType task() {
        return TaskType.CAUSAL_LM;
    }

    @Override
    public int contextLength() {
        return config.nPositions();
    }

    /**
     * Sets every parameter from a Hugging Face checkpoint's safetensors, whose names may differ from
     * {@link #hfParameters()} in the ways GPT-2 checkpoints do: names without the {@value #PREFIX}
     * prefix (as GPT2LMHeadModel's save_pretrained writes them for openai-community/gpt2), the
     * causal-mask buffers {@code h.i.attn.bias} and {@code h.i.attn.masked_bias} (constants, not
     * parameters: skipped unread), and {@code lm_head.weight}, which must equal {@code wte.weight}
     * (this block's head is tied; an untied head is refused). Everything else is as strict as
     * {@link #loadWeights(NDManager, Map)}: a name given twice (with and without the prefix), missing,
     * unexpected or misshaped is refused, naming it, before any parameter is set.
     */
    @Override
    public Set<String> loadCheckpoint(NDManager manager, SafetensorsReader reader) throws IOException {
        Map<String, String> keyByName = new LinkedHashMap<>();
        Map<String, Shape> given = new LinkedHashMap<>();
        List<String> twice = new ArrayList<>();
        String head = null;
        for (TensorInfo tensor : reader.tensors()) {
            String key = tensor.name();
            if (key.equals("lm_head.weight")) {
                head = key;
                continue;
            }
            String name = key.startsWith(PREFIX) ? key : PREFIX + key;
            if (MASK_BUFFER.matcher(name).matches()) {
                continue;
            }
            if (keyByName.put(name, key) != null) {
                twice.add(name);
            }
            given.put(name, new Shape(tensor.shape()));
        }
        if (!twice.isEmpty()) {
            throw new IllegalArgumentException("GPT-2 weights given twice, with and without " + PREFIX + ": " + twice);
        }
        parameters.check(given);
        if (head != null
                && !new Shape(reader.tensor(head).shape())
                        .equals(parameters.shapes().get(PREFIX + "wte.weight"))) {
            throw new IllegalArgumentException(
                    "lm_head.weight has shape " + new Shape(reader.tensor(head).shape()) + ", not wte's");
        }
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        try (NDManager scratch = manager.newSubManager()) {
            for (Map.Entry<String, String> entry : keyByName.entrySet()) {
                arrays.put(entry.getKey(), reader.read(entry.getValue(), scratch));
            }
            if (head != null && !reader.read(head, scratch).contentEquals(arrays.get(PREFIX + "wte.weight"))) {
                throw new IllegalArgumentException(
                        "lm_head.weight differs from wte.weight: an untied LM head is not supported");
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
     * The forward with {@code past_key_values} as GPT2Model runs it: position ids from the cache's
     * length on, each layer's keys and values appended to the cache before attention.
     */
    @Override
    public NDArray forward(ParameterStore store, NDArray ids, KvCache cache) {
        NDArray logits = logits(store, ids, cache, false);
        cache.advance((int) ids.getShape().get(1));
        return logits;
    }

    /** Logits of {@code ids} after the cache's positions (none when {@code cache} is null). */
    private NDArray logits(ParameterStore store, NDArray ids, KvCache cache, boolean training) {
        NDManager manager = ids.getManager();
        long length = ids.getShape().get(1);
        int offset = cache == null ? 0 : cache.length();
        if (offset + length > config.nPositions()) {
            throw new IllegalArgumentException(
                    "sequence of " + (offset + length) + " tokens exceeds n_positions " + config.nPositions());
        }
        NDArray tokenTable = store.getValue(wte, ids.getDevice(), training);
        NDArray positionTable = store.getValue(wpe, ids.getDevice(), training);
        NDArray h = Embedding.embedding(ids, tokenTable, SparseFormat.DENSE).singletonOrThrow();
        NDArray positions = positionTable.get(new NDIndex("{}:{}", offset, offset + length));
        // a slice of a parameter belongs to the model's manager: move it to this forward's scope
        positions.attach(manager);
        h = h.add(positions);
        // one new token after a cache sees every key: no bias
        NDArray bias = length == 1 && offset > 0 ? null : causalBias(manager, offset, length, ids.getDevice());
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            NDArray a = layerNorm(store, h, layer.ln1Weight(), layer.ln1Bias(), training);
            h = h.add(attention(store, a, layer, bias, cache, i, training));
            NDArray m = layerNorm(store, h, layer.ln2Weight(), layer.ln2Bias(), training);
            m = geluNew(conv1d(store, m, layer.cFcWeight(), layer.cFcBias(), training));
            h = h.add(conv1d(store, m, layer.mlpProjWeight(), layer.mlpProjBias(), training));
        }
        h = layerNorm(store, h, lnFWeight, lnFBias, training);
        // a view of a parameter is made in the model's manager: move it to this forward's scope
        NDArray head = tokenTable.transpose();
        head.attach(manager);
        return h.matMul(head);
    }

    private NDArray attention(
            ParameterStore store, NDArray x, Layer layer, NDArray bias, KvCache cache, int index, boolean training) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        int heads = config.nHead();
        int headDim = config.headDim();
        NDList qkv = conv1d(store, x, layer.cAttnWeight(), layer.cAttnBias(), training)
                .split(3, 2);
        Shape split = new Shape(batch, length, heads, headDim);
        NDArray q = qkv.get(0).reshape(split).transpose(0, 2, 1, 3);
        NDArray k = qkv.get(1).reshape(split).transpose(0, 2, 1, 3);
        NDArray v = qkv.get(2).reshape(split).transpose(0, 2, 1, 3);
        if (cache != null) {
            NDArray[] kv = cache.extend(index, k, v);
            k = kv[0];
            v = kv[1];
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scalar(x, 1 / Math.sqrt(headDim)));
        NDArray attended =
                (bias == null ? scores : scores.add(bias)).softmax(-1).matMul(v);
        NDArray merged = attended.transpose(0, 2, 1, 3).reshape(batch, length, config.nEmbd());
        return conv1d(store, merged, layer.attnProjWeight(), layer.attnProjBias(), training);
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

    /** GPT-2's Conv1D: x @ W + b with W stored (in, out). */
    private static NDArray conv1d(ParameterStore store, NDArray x, Parameter weight, Parameter bias, boolean training) {
        NDArray w = store.getValue(weight, x.getDevice(), training);
        NDArray b = store.getValue(bias, x.getDevice(), training);
        return x.matMul(w).add(b);
    }

    private NDArray layerNorm(ParameterStore store, NDArray x, Parameter gamma, Parameter beta, boolean training) {
        return LayerNorm.layerNorm(
                        x,
                        new Shape(config.nEmbd()),
                        store.getValue(gamma, x.getDevice(), training),
                        store.getValue(beta, x.getDevice(), training),
                        (float) config.layerNormEpsilon())
                .singletonOrThrow();
    }

    /** gelu_new: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
    private static NDArray geluNew(NDArray x) {
        NDArray inner = x.add(x.mul(x).mul(x).mul(scalar(x, 0.044715))).mul(scalar(x, SQRT_2_OVER_PI));
        return x.mul(scalar(x, 0.5)).mul(inner.tanh().add(scalar(x, 1)));
    }

    /**
     * A float32 scalar owned by the forward's manager. Not a Number: DJL frees the tensor it makes
     * of a Number after the op, but autograd keeps it for the backward pass (see
     * CausalSelfAttention).
     */
    private static NDArray scalar(NDArray like, double value) {
        return like.getManager().create((float) value).toDevice(like.getDevice(), false);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), config.vocabSize())};
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
        String hfName = PREFIX + name;
        Parameter parameter = addParameter(Parameter.builder()
                .setName(hfName)
                .setType(type)
                .optInitializer(initializer)
                .build());
        return parameters.register(hfName, parameter, shape);
    }
}
