package dev.sublinear.training.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.HfBlock;
import dev.sublinear.training.weights.SafetensorsReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * BERT with a sequence-classification head, computing what transformers' {@code
 * BertForSequenceClassification} computes in eval mode. There is no dropout, in inference or in
 * training: the service fine-tunes without it, so a training step computes the eval-mode forward too
 * (transformers' default would drop 10% of attention probabilities and hidden states).
 *
 * <p>Inputs: token ids [B, T] (int64, T at most max_position_embeddings), the mask [B, T] (float32,
 * 1 for a real token, 0 for padding) and optionally token-type ids [B, T] (int64; all 0 when absent,
 * as transformers' buffer gives). Output: logits [B, num_labels].
 *
 * <p>Parameters under BertForSequenceClassification's state-dict names ({@link #hfParameters()}):
 * {@code bert.embeddings.}{@code word_embeddings}, {@code position_embeddings}, {@code
 * token_type_embeddings}, {@code LayerNorm}; per layer {@code bert.encoder.layer.i.} {@code
 * attention.self.query/key/value}, {@code attention.output.dense}, {@code attention.output.LayerNorm},
 * {@code intermediate.dense}, {@code output.dense}, {@code output.LayerNorm}; {@code
 * bert.pooler.dense}; {@code classifier}. Linear weights are nn.Linear's (out, in).
 *
 * <p>Forward: x = LayerNorm(word[ids] + type[types] + position[0..T)); per layer (post-norm) a =
 * LayerNorm(x + dense(attention(x))), x = LayerNorm(a + dense(gelu(intermediate(a)))), gelu being
 * the erf form. Attention scores q k^T / sqrt(head_dim) plus transformers' extended mask (1 - mask)
 * times float32's lowest value on every padded key; softmax over keys. Pooler: tanh(dense(x[:, 0])).
 * Logits: classifier(pooled).
 */
public final class BertForSequenceClassification extends HfBlock {

    /** The base model's prefix in BertForSequenceClassification's state dict. */
    public static final String PREFIX = "bert.";

    private final BertConfig config;
    private final Parameter wordEmbeddings;
    private final Parameter positionEmbeddings;
    private final Parameter tokenTypeEmbeddings;
    private final Norm embeddingsNorm;
    private final List<Layer> layers = new ArrayList<>();
    private final Dense pooler;
    private final Dense classifier;
    private final boolean newHead;

    /** nn.Linear: weight (out, in) and bias. */
    private record Dense(Parameter weight, Parameter bias) {}

    /** nn.LayerNorm: weight and bias. */
    private record Norm(Parameter weight, Parameter bias) {}

    /** One encoder layer, {@code bert.encoder.layer.i.*}. */
    private record Layer(
            Dense query,
            Dense key,
            Dense value,
            Dense attentionOutput,
            Norm attentionNorm,
            Dense intermediate,
            Dense output,
            Norm outputNorm) {}

    public BertForSequenceClassification(BertConfig config) {
        this(config, false);
    }

    /**
     * @param newHead whether the classifier starts anew whatever the checkpoint holds: fine-tuning a
     *     classifier for other labels than its checkpoint's, whose head is then ignored
     */
    public BertForSequenceClassification(BertConfig config, boolean newHead) {
        super("BERT");
        this.config = config;
        this.newHead = newHead;
        int d = config.hiddenSize();
        String e = PREFIX + "embeddings.";
        wordEmbeddings = add(
                e + "word_embeddings.weight",
                new Shape(config.vocabSize(), d),
                Parameter.Type.WEIGHT,
                new PaddingRowInitializer(config.initializerRange(), config.padTokenId()));
        positionEmbeddings = weight(e + "position_embeddings.weight", new Shape(config.maxPositionEmbeddings(), d));
        tokenTypeEmbeddings = weight(e + "token_type_embeddings.weight", new Shape(config.typeVocabSize(), d));
        embeddingsNorm = norm(e + "LayerNorm", d);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = PREFIX + "encoder.layer." + i + ".";
            layers.add(new Layer(
                    dense(p + "attention.self.query", d, d),
                    dense(p + "attention.self.key", d, d),
                    dense(p + "attention.self.value", d, d),
                    dense(p + "attention.output.dense", d, d),
                    norm(p + "attention.output.LayerNorm", d),
                    dense(p + "intermediate.dense", config.intermediateSize(), d),
                    dense(p + "output.dense", d, config.intermediateSize()),
                    norm(p + "output.LayerNorm", d)));
        }
        pooler = dense(PREFIX + "pooler.dense", d, d);
        classifier = dense("classifier", config.numLabels(), d);
    }

    public BertConfig config() {
        return config;
    }

    @Override
    public TaskType task() {
        return TaskType.CLASSIFICATION;
    }

    @Override
    public int contextLength() {
        return config.maxPositionEmbeddings();
    }

    /**
     * Sets the parameters from a checkpoint as transformers' {@code from_pretrained} accepts it for
     * this class; see {@link BertCheckpoint#load} for the naming variants accepted and the head created
     * anew.
     */
    @Override
    public Set<String> loadCheckpoint(NDManager manager, SafetensorsReader reader) throws IOException {
        return BertCheckpoint.load(parameters, config, manager, reader, newHead);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray pooled = encode(store, inputs, training).get(1);
        return new NDList(linear(store, pooled, classifier, training));
    }

    /**
     * BertModel's outputs for the same inputs as the forward: the last hidden state [B, T, hidden]
     * and the pooled output [B, hidden] (what the classifier reads), in the inputs' manager.
     */
    public NDList encode(ParameterStore store, NDList inputs, boolean training) {
        NDArray ids = inputs.get(0);
        NDArray mask = inputs.get(1);
        long length = ids.getShape().get(1);
        if (length > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + length + " tokens exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray x = embeddings(store, inputs, training);
        // transformers' extended mask: (1 - mask) * finfo(float32).min, [B, 1, 1, T], added to the scores
        NDArray extended = scalar(mask, 1)
                .sub(mask.toType(DataType.FLOAT32, false))
                .mul(scalar(mask, -Float.MAX_VALUE))
                .reshape(ids.getShape().get(0), 1, 1, length);
        for (Layer layer : layers) {
            NDArray attended = attention(store, x, layer, extended, training);
            NDArray a = layerNorm(
                    store,
                    linear(store, attended, layer.attentionOutput(), training).add(x),
                    layer.attentionNorm(),
                    training);
            NDArray inner = Activation.gelu(linear(store, a, layer.intermediate(), training));
            x = layerNorm(store, linear(store, inner, layer.output(), training).add(a), layer.outputNorm(), training);
        }
        NDArray first = x.get(new NDIndex(":, 0, :"));
        NDArray pooled = linear(store, first, pooler, training).tanh();
        return new NDList(x, pooled);
    }

    private NDArray embeddings(ParameterStore store, NDList inputs, boolean training) {
        NDArray ids = inputs.get(0);
        long length = ids.getShape().get(1);
        NDArray words = Embedding.embedding(
                        ids, store.getValue(wordEmbeddings, ids.getDevice(), training), SparseFormat.DENSE)
                .singletonOrThrow();
        NDArray typeTable = store.getValue(tokenTypeEmbeddings, ids.getDevice(), training);
        NDArray types;
        if (inputs.size() > 2) {
            types = Embedding.embedding(inputs.get(2), typeTable, SparseFormat.DENSE)
                    .singletonOrThrow();
        } else {
            types = typeTable.get(new NDIndex("0:1"));
            // a slice of a parameter belongs to the model's manager: move it to this forward's scope
            types.attach(ids.getManager());
        }
        NDArray positions =
                store.getValue(positionEmbeddings, ids.getDevice(), training).get(new NDIndex("0:{}", length));
        positions.attach(ids.getManager());
        return layerNorm(store, words.add(types).add(positions), embeddingsNorm, training);
    }

    private NDArray attention(ParameterStore store, NDArray x, Layer layer, NDArray extended, boolean training) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        int heads = config.numAttentionHeads();
        int headDim = config.headDim();
        Shape split = new Shape(batch, length, heads, headDim);
        NDArray q = linear(store, x, layer.query(), training).reshape(split).transpose(0, 2, 1, 3);
        NDArray k = linear(store, x, layer.key(), training).reshape(split).transpose(0, 2, 1, 3);
        NDArray v = linear(store, x, layer.value(), training).reshape(split).transpose(0, 2, 1, 3);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(scalar(x, Math.sqrt(headDim)));
        NDArray attended = scores.add(extended).softmax(-1).matMul(v);
        return attended.transpose(0, 2, 1, 3).reshape(batch, length, config.hiddenSize());
    }

    /** nn.Linear: x W^T + b, W stored (out, in). */
    private static NDArray linear(ParameterStore store, NDArray x, Dense dense, boolean training) {
        NDArray w = store.getValue(dense.weight(), x.getDevice(), training);
        return x.matMul(w.transpose()).add(store.getValue(dense.bias(), x.getDevice(), training));
    }

    private NDArray layerNorm(ParameterStore store, NDArray x, Norm norm, boolean training) {
        return LayerNorm.layerNorm(
                        x,
                        new Shape(config.hiddenSize()),
                        store.getValue(norm.weight(), x.getDevice(), training),
                        store.getValue(norm.bias(), x.getDevice(), training),
                        (float) config.layerNormEps())
                .singletonOrThrow();
    }

    /**
     * A float32 scalar owned by the forward's manager. Not a Number: DJL frees the tensor it makes of a
     * Number after the op, but autograd keeps it for the backward pass (see Gpt2LMHeadModel).
     */
    private static NDArray scalar(NDArray like, double value) {
        return like.getManager().create((float) value).toDevice(like.getDevice(), false);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.numLabels())};
    }

    private Dense dense(String name, long out, long in) {
        return new Dense(
                weight(name + ".weight", new Shape(out, in)),
                add(name + ".bias", new Shape(out), Parameter.Type.BIAS, Initializer.ZEROS));
    }

    private Norm norm(String name, long size) {
        return new Norm(
                add(name + ".weight", new Shape(size), Parameter.Type.GAMMA, Initializer.ONES),
                add(name + ".bias", new Shape(size), Parameter.Type.BETA, Initializer.ZEROS));
    }

    /** transformers' _init_weights: nn.Linear and nn.Embedding weights normal(0, initializer_range). */
    private Parameter weight(String name, Shape shape) {
        return add(name, shape, Parameter.Type.WEIGHT, new NormalInitializer((float) config.initializerRange()));
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
