package dev.sublinear.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Adam (Kingma &amp; Ba, 2015) and, with decoupled weight decay, AdamW (Loshchilov &amp; Hutter,
 * 2019), whose moments and step counts can be saved and loaded, so that a resumed run continues
 * exactly. The update is DJL's {@code Adam} / {@code AdamW}, through the same fused engine
 * operation, so the weights are the same bit for bit.
 *
 * <p>One step of parameter X with gradient G, step count t (from 1), rate lr_t from the tracker:
 *
 * <pre>
 * g   = min(rescaleGrad G, clipGrad)               (the engine clamps from above only)
 * g   = g + weightDecay X                          (Adam: L2 in the gradient)
 * X   = X - lr_t weightDecay X                     (AdamW: decoupled decay instead)
 * m   = beta1 m + (1 - beta1) g
 * v   = beta2 v + (1 - beta2) g^2
 * X   = X - lr_t sqrt(1 - beta2^t) / (1 - beta1^t) m / (sqrt(v) + epsilon)
 * </pre>
 *
 * <p>The moments have the parameter's type and device. The step count is the parameter's own on its
 * device; DJL counts the largest count of any parameter, which is the same number when every
 * parameter is updated at every step on one device (as {@code Trainer.step()} does), and on several
 * devices counts each device's update of a parameter as a step. Updates of one optimizer must not
 * run concurrently, as in DJL's parameter server.
 */
public class Adam extends Optimizer implements StatefulOptimizer, AutoCloseable {

    private final ParameterTracker learningRateTracker;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final boolean decoupledWeightDecay;

    private final Map<String, Map<Device, AdamMoments>> moments = new ConcurrentHashMap<>();
    private final Map<Device, NDManager> managers = new ConcurrentHashMap<>();
    private final Map<String, AdamCheckpoint.Entry> restored = new ConcurrentHashMap<>();

    protected Adam(Builder builder) {
        super(builder);
        learningRateTracker = builder.learningRateTracker;
        beta1 = builder.beta1;
        beta2 = builder.beta2;
        epsilon = builder.epsilon;
        decoupledWeightDecay = builder.decoupledWeightDecay;
    }

    /**
     * Returns a builder of Adam with DJL's defaults: rate 1e-3, beta1 0.9, beta2 0.999, epsilon
     * 1e-8, no weight decay.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a builder of AdamW with DJL's defaults: as {@link #builder()}, with decoupled weight
     * decay 0.01.
     *
     * @return a new builder
     */
    public static Builder adamWBuilder() {
        return new Builder().optDecoupledWeightDecay(true).optWeightDecays(0.01f);
    }

    /** {@inheritDoc} */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        AdamMoments state = moments(parameterId, weight);
        int t = state.nextStep();
        float learningRate = learningRateTracker.getNewValue(parameterId, t);
        float biasCorrectedRate = biasCorrected(learningRate, t);
        float weightDecay = getWeightDecay();
        if (!Float.isFinite(learningRate) || !Float.isFinite(biasCorrectedRate) || !Float.isFinite(weightDecay)) {
            throw new IllegalArgumentException("learning rate or weight decay of " + parameterId + " at step " + t
                    + " is not finite: rate " + learningRate + ", weight decay " + weightDecay);
        }
        // In place in the weight and the moments; the engine zeroes the weight's own gradient.
        weight.getNDArrayInternal()
                .adamUpdate(
                        new NDList(weight, grad, state.mean, state.variance),
                        new NDList(weight),
                        learningRate,
                        biasCorrectedRate,
                        weightDecay,
                        rescaleGrad,
                        clipGrad,
                        beta1,
                        beta2,
                        epsilon,
                        true,
                        decoupledWeightDecay);
    }

    /** lr_t sqrt(1 - beta2^t) / (1 - beta1^t): the bias corrections of m and v folded into the rate. */
    private float biasCorrected(float learningRate, int t) {
        double firstMomentCorrection = 1.0 - Math.pow(beta1, t);
        double secondMomentCorrection = 1.0 - Math.pow(beta2, t);
        return (float) (learningRate * Math.sqrt(secondMomentCorrection) / firstMomentCorrection);
    }

    /** The parameter's moments on the weight's device: restored if loaded, else zeros. */
    private AdamMoments moments(String parameterId, NDArray weight) {
        Device device = weight.getDevice();
        return moments.computeIfAbsent(parameterId, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(device, d -> {
                    NDManager manager =
                            managers.computeIfAbsent(d, k -> weight.getManager().newSubManager(k));
                    DataType type = weight.getDataType();
                    AdamCheckpoint.Entry saved = restored.get(parameterId);
                    if (saved != null) {
                        return saved.restore(parameterId, weight.getShape(), type, manager);
                    }
                    return new AdamMoments(
                            manager.zeros(weight.getShape(), type), manager.zeros(weight.getShape(), type), 0);
                });
    }

    /** {@inheritDoc} Written: m, v and t of every parameter (one device's copy). */
    @Override
    public void saveState(OutputStream out, Map<String, String> names) throws IOException {
        Map<String, AdamMoments> primary = new TreeMap<>();
        for (Map.Entry<String, Map<Device, AdamMoments>> e : moments.entrySet()) {
            // every device of a parameter applies the same aggregated gradient: one copy suffices
            String name = names.getOrDefault(e.getKey(), e.getKey());
            e.getValue().values().stream().findFirst().ifPresent(m -> primary.put(name, m));
        }
        AdamCheckpoint.write(out, primary);
    }

    /** {@inheritDoc} Each parameter's moments move to its device at its next update. */
    @Override
    public void loadState(InputStream in, Map<String, String> ids) throws IOException {
        if (!moments.isEmpty()) {
            throw new IllegalStateException("loadState must come before the first update");
        }
        restored.clear();
        for (Map.Entry<String, AdamCheckpoint.Entry> e : AdamCheckpoint.read(in).entrySet()) {
            restored.put(ids.getOrDefault(e.getKey(), e.getKey()), e.getValue());
        }
    }

    /** {@inheritDoc} Here: m and v, in the parameters' types. */
    @Override
    public long stateBytes() {
        long bytes = 0;
        for (Map<Device, AdamMoments> perDevice : moments.values()) {
            for (AdamMoments m : perDevice.values()) {
                bytes += m.bytes();
            }
        }
        return bytes;
    }

    /** {@inheritDoc} */
    @Override
    public long adamEquivalentBytes() {
        long bytes = 0;
        for (Map<Device, AdamMoments> perDevice : moments.values()) {
            for (AdamMoments m : perDevice.values()) {
                bytes += 2L * Float.BYTES * m.mean.size();
            }
        }
        return bytes;
    }

    /**
     * @return memory per parameter updated so far, in parameter id order: m and v in full, in the
     *     parameter's type
     */
    public List<ParameterMemory> memoryByParameter() {
        List<ParameterMemory> result = new ArrayList<>();
        for (Map.Entry<String, Map<Device, AdamMoments>> e : new TreeMap<>(moments).entrySet()) {
            long state = 0;
            long adam = 0;
            long parameter = 0;
            AdamMoments any = null;
            List<Device> devices = new ArrayList<>();
            for (Map.Entry<Device, AdamMoments> d : e.getValue().entrySet()) {
                AdamMoments m = d.getValue();
                any = m;
                devices.add(d.getKey());
                state += m.bytes();
                adam += 2L * Float.BYTES * m.mean.size();
                parameter += m.mean.size() * m.mean.getDataType().getNumOfBytes();
            }
            if (any != null) {
                result.add(new ParameterMemory(
                        e.getKey(),
                        any.mean.getShape(),
                        any.mean.getDataType(),
                        devices,
                        ParameterMemory.SecondMomentKind.FULL,
                        state,
                        adam,
                        parameter));
            }
        }
        return result;
    }

    /** {@inheritDoc} Adam measures nothing per step: always empty. */
    @Override
    public Optional<StepDiagnostics> lastStepDiagnostics() {
        return Optional.empty();
    }

    /** Frees the moments. */
    @Override
    public void close() {
        managers.values().forEach(NDManager::close);
        managers.clear();
        moments.clear();
    }

    /** Builds an {@link Adam}; defaults are DJL's. */
    public static final class Builder extends OptimizerBuilder<Builder> {

        private ParameterTracker learningRateTracker = Tracker.fixed(0.001f);
        private float beta1 = 0.9f;
        private float beta2 = 0.999f;
        private float epsilon = 1e-8f;
        private boolean decoupledWeightDecay;

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /** Sets the tracker that gives lr_t, called with the parameter id and t (default 1e-3). */
        public Builder optLearningRateTracker(ParameterTracker learningRateTracker) {
            this.learningRateTracker = learningRateTracker;
            return this;
        }

        /** Sets the decay beta1 in [0, 1) of the first moment m (default 0.9). */
        public Builder optBeta1(float beta1) {
            this.beta1 = beta1;
            return this;
        }

        /** Sets the decay beta2 in [0, 1) of the second moment v (default 0.999). */
        public Builder optBeta2(float beta2) {
            this.beta2 = beta2;
            return this;
        }

        /** Sets epsilon &gt; 0, added to sqrt(v) (default 1e-8). */
        public Builder optEpsilon(float epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        /**
         * Applies the weight decay to the weight, X = X - lr_t weightDecay X, as AdamW does, instead
         * of adding weightDecay X to the gradient, as Adam does (default false).
         */
        public Builder optDecoupledWeightDecay(boolean decoupledWeightDecay) {
            this.decoupledWeightDecay = decoupledWeightDecay;
            return this;
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         * @throws IllegalArgumentException naming the option when a value is invalid
         */
        public Adam build() {
            if (learningRateTracker == null) {
                throw new IllegalArgumentException("optLearningRateTracker must be set");
            }
            require(beta1 >= 0f && beta1 < 1f, "optBeta1", "must be in [0, 1)", beta1);
            require(beta2 >= 0f && beta2 < 1f, "optBeta2", "must be in [0, 1)", beta2);
            require(epsilon > 0f && Float.isFinite(epsilon), "optEpsilon", "must be > 0", epsilon);
            return new Adam(this);
        }

        private static void require(boolean ok, String option, String rule, float value) {
            if (!ok) {
                throw new IllegalArgumentException(option + " " + rule + ", got " + value);
            }
        }
    }
}
