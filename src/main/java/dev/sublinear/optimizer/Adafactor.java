package dev.sublinear.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Adafactor (Shazeer &amp; Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
 * 2018): Adam-like per-element step sizes from a second-moment estimate that, for a weight of shape
 * [..., n, m], is stored as n + m row and column sums instead of n x m values.
 *
 * <p>One step of parameter X with gradient G, step count t (from 1):
 *
 * <pre>
 * rho_t   = relativeStep ? min(warmupInit ? 1e-6 t : 1e-2, 1 / sqrt(t)) : learningRate(t)
 * alpha_t = scaleParameter ? max(eps2, RMS(X)) rho_t : rho_t
 * beta2_t = 1 - t^-decayRate                              (or a fixed beta2, bias-corrected)
 * V       = beta2_t V + (1 - beta2_t)(G^2 + eps1)          (factored: V = R C^T / sum(R))
 * U       = G / sqrt(V);  U = U / max(1, RMS(U) / d)
 * S       = alpha_t U;    if beta1 &gt; 0: M = beta1 M + (1 - beta1) S, S = M
 * X       = X - weightDecay alpha_t X - S
 * </pre>
 *
 * <p>The state is float32 whatever the parameter's type; float16 and bfloat16 parameters are
 * updated in float32 and written back in their type. The step works in place on one reused scratch
 * buffer per device, keeps every scalar on the device, and zeroes the parameter's own gradient
 * (DJL passes a copy). State is kept per parameter and device, with one step count per training
 * step. Updates of one optimizer must not run concurrently, as in DJL's parameter server.
 */
public class Adafactor extends Optimizer implements AutoCloseable {

    private final ParameterTracker learningRateTracker;
    private final boolean relativeStep;
    private final boolean scaleParameter;
    private final boolean warmupInit;
    private final float beta1;
    private final float decayRate;
    private final float beta2;
    private final float clipThreshold;
    private final float epsilon1;
    private final float epsilon2;
    private final boolean factored;
    private final int minDimSizeToFactor;

    private final Map<String, Map<Device, ParameterState>> states = new ConcurrentHashMap<>();
    private final Map<Device, DeviceResources> devices = new ConcurrentHashMap<>();
    private final Map<String, AdafactorCheckpoint.Entry> restored = new ConcurrentHashMap<>();

    protected Adafactor(Builder builder) {
        super(builder);
        learningRateTracker = builder.learningRateTracker;
        relativeStep = builder.relativeStep;
        scaleParameter = builder.scaleParameter;
        warmupInit = builder.warmupInit;
        beta1 = builder.beta1;
        decayRate = builder.decayRate;
        beta2 = builder.beta2;
        clipThreshold = builder.clipThreshold;
        epsilon1 = builder.epsilon1;
        epsilon2 = builder.epsilon2;
        factored = builder.factored;
        minDimSizeToFactor = builder.minDimSizeToFactor;
    }

    /**
     * Returns a builder with the paper's defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        boolean gradMode = EngineSupport.disableGradMode(weight);
        // On several GPUs DJL attaches parameter copies to a manager of another device: temporaries
        // and scalars must be created on the weight's own device.
        try (NDManager step = weight.getManager().newSubManager(weight.getDevice())) {
            DeviceResources device = resources(weight);
            ParameterState state = state(parameterId, weight, device);
            weight.tempAttach(step);
            grad.tempAttach(step);
            state.tempAttachTo(step);
            step(parameterId, weight, grad, state, device, step);
        } finally {
            EngineSupport.restoreGradMode(weight, gradMode);
        }
    }

    private void step(
            String parameterId,
            NDArray weight,
            NDArray grad,
            ParameterState state,
            DeviceResources device,
            NDManager step) {
        int t = state.nextStep();
        float rho = relativeStepSize(parameterId, t);
        float beta2t = secondMomentDecay(t);

        if (CpuStep.applies(weight, grad)) {
            ByteBuffer view = CpuStep.writableView(weight);
            if (view != null) {
                float clip = clipGrad > 0 ? clipGrad : 0f;
                CpuStep.Scalars scalars = new CpuStep.Scalars(rescaleGrad, clip, beta2t, epsilon1);
                float[] figures = CpuStep.run(view, grad, state, scalars, rho, cpuOptions);
                EngineSupport.zeroGradient(weight);
                state.record(figures[0], figures[1]);
                return;
            }
        }

        NDArray x = toFloat32(weight);
        float gradScale = rescaleGrad;
        NDArray g = toFloat32(grad);
        if (clipGrad > 0) {
            g = g.mul(rescaleGrad).clip(-clipGrad, clipGrad);
            gradScale = 1f;
        }
        NDArray work = device.scratch.lend(weight.getShape(), step);

        state.secondMoment.accumulate(g, gradScale, work, beta2t, epsilon1);
        state.secondMoment.precondition(g, gradScale, work);
        NDArray u = work;
        NDArray updateRms = rms(u);
        NDArray alpha = stepScale(x, rho, step);
        NDArray s = scaleClipped(u, alpha, updateRms);
        if (state.momentum != null) {
            s = momentum(state.momentum, s);
        }
        if (getWeightDecay() > 0f) {
            decayWeight(x, alpha);
        }
        x.subi(s);

        if (x != weight) {
            // the copy rounds to the parameter's type; no conversion to a half type is requested
            // from DJL, whose PyTorch binding has none for bfloat16
            EngineSupport.copyInto(weight, x);
        }
        EngineSupport.zeroGradient(weight);
        state.record(alpha, updateRms, device.manager);
    }

    /** The options as the fused CPU path reads them. */
    private final CpuStep.Options cpuOptions =
            new CpuStep.Options() {
                @Override
                public float alpha(double sumSquaresOfX, long size, float rho) {
                    if (!scaleParameter) {
                        return rho;
                    }
                    return (float) (Math.max(epsilon2, Math.sqrt(sumSquaresOfX / size)) * rho);
                }

                @Override
                public float clipThreshold() {
                    return clipThreshold;
                }

                @Override
                public float beta1() {
                    return beta1;
                }

                @Override
                public float weightDecay() {
                    return getWeightDecay();
                }

                @Override
                public boolean scaleParameter() {
                    return scaleParameter;
                }
            };

    /**
     * beta2_t: the increasing decay 1 - t^-c, or, with a fixed beta2, Adam's bias correction folded
     * into the decay (the paper's section 7: beta2 (1 - beta2^(t-1)) / (1 - beta2^t), 0 at t = 1), so
     * the moving average is the bias-corrected one without a second pass over the state.
     */
    private float secondMomentDecay(int t) {
        if (beta2 > 0f) {
            return (float) (beta2 * -Math.expm1((t - 1) * Math.log(beta2)) / -Math.expm1(t * Math.log(beta2)));
        }
        return 1f - (float) Math.pow(t, -decayRate);
    }

    /** rho_t: the relative step min(1e-2 or 1e-6 t, 1/sqrt(t)), or the tracker's rate. */
    private float relativeStepSize(String parameterId, int t) {
        if (!relativeStep) {
            float rate = learningRateTracker.getNewValue(parameterId, t);
            if (!Float.isFinite(rate) || rate < 0f) {
                throw new IllegalStateException(
                        "learning rate tracker returned " + rate + " for " + parameterId + " at step " + t);
            }
            return rate;
        }
        double cap = warmupInit ? 1e-6 * t : 1e-2;
        return (float) Math.min(cap, 1.0 / Math.sqrt(t));
    }

    /** alpha_t = max(eps2, RMS(X)) rho_t, or rho_t without parameter scaling; a 0-d array. */
    private NDArray stepScale(NDArray x, float rho, NDManager step) {
        if (!scaleParameter) {
            return step.create(rho);
        }
        return rms(x).maximum(epsilon2).muli(rho);
    }

    /** S = alpha_t U / max(1, RMS(U) / d), in place in {@code u}. */
    private NDArray scaleClipped(NDArray u, NDArray alpha, NDArray updateRms) {
        NDArray clipDivisor = updateRms.div(clipThreshold).maximum(1f);
        NDArray factor = alpha.div(clipDivisor);
        if (beta1 > 0f) {
            // (1 - beta1) of the momentum average folds into the same scaling pass.
            factor.muli(1f - beta1);
        }
        return u.muli(factor);
    }

    /** M = beta1 M + (1 - beta1) S; the caller already scaled S by (1 - beta1). */
    private NDArray momentum(NDArray m, NDArray scaledUpdate) {
        return m.muli(beta1).addi(scaledUpdate);
    }

    /** Decoupled weight decay on X_{t-1}: X = X - weightDecay alpha_t X. */
    private void decayWeight(NDArray x, NDArray alpha) {
        x.muli(alpha.mul(-getWeightDecay()).addi(1f));
    }

    /** RMS(A) = sqrt(mean(A^2)) over all elements, as a 0-d array (no host sync). */
    private static NDArray rms(NDArray a) {
        NDArray flat = a.reshape(-1);
        return flat.dot(flat).divi(a.size()).powi(0.5f);
    }

    private static NDArray toFloat32(NDArray array) {
        return array.getDataType() == DataType.FLOAT32
                ? array
                : array.toType(DataType.FLOAT32, false);
    }

    private DeviceResources resources(NDArray weight) {
        return devices.computeIfAbsent(
                weight.getDevice(),
                d -> new DeviceResources(weight.getManager().newSubManager(d)));
    }

    private ParameterState state(String parameterId, NDArray weight, DeviceResources device) {
        return states.computeIfAbsent(parameterId, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(device.manager.getDevice(), d -> newState(parameterId, weight, device));
    }

    private ParameterState newState(String parameterId, NDArray weight, DeviceResources device) {
        DataType type = weight.getDataType();
        if (!type.isFloating()) {
            throw new IllegalArgumentException(
                    "Adafactor updates floating-point parameters only; " + parameterId + " is " + type);
        }
        Shape shape = weight.getShape();
        NDManager manager = device.manager;
        boolean factor = isFactored(shape);
        AdafactorCheckpoint.Entry saved = restored.get(parameterId);
        if (saved != null) {
            return saved.restore(parameterId, shape, type, factor, beta1 > 0f, manager);
        }
        SecondMoment moment;
        if (factor) {
            Shape[] shapes = FactoredSecondMoment.stateShapes(shape);
            moment =
                    new FactoredSecondMoment(
                            manager.zeros(shapes[0], DataType.FLOAT32),
                            manager.zeros(shapes[1], DataType.FLOAT32));
        } else {
            moment = new FullSecondMoment(manager.zeros(shape, DataType.FLOAT32));
        }
        NDArray m = beta1 > 0f ? manager.zeros(shape, DataType.FLOAT32) : null;
        return new ParameterState(shape, type, moment, m, 0);
    }

    /** Factor when rank &gt;= 2 and both of the last two dimensions are at least the minimum. */
    boolean isFactored(Shape shape) {
        int rank = shape.dimension();
        return factored
                && rank >= 2
                && shape.get(rank - 2) >= minDimSizeToFactor
                && shape.get(rank - 1) >= minDimSizeToFactor;
    }

    /**
     * Bytes of the state arrays held now (second moments and momentum), summed over parameters and
     * devices. Scratch space is not state; see {@link #scratchBytes()}.
     *
     * @return the state bytes
     */
    public long stateBytes() {
        long bytes = 0;
        for (Map<Device, ParameterState> perDevice : states.values()) {
            for (ParameterState state : perDevice.values()) {
                bytes += state.stateBytes();
            }
        }
        return bytes;
    }

    /**
     * What Adam would hold for the same parameters: two float32 tensors per parameter per device.
     *
     * @return the Adam-equivalent bytes
     */
    public long adamEquivalentBytes() {
        return memoryByParameter().stream().mapToLong(ParameterMemory::adamEquivalentBytes).sum();
    }

    /**
     * Bytes of the parameters this optimizer has updated, summed over devices.
     *
     * @return the parameter bytes
     */
    public long parameterBytes() {
        return memoryByParameter().stream().mapToLong(ParameterMemory::parameterBytes).sum();
    }

    /**
     * Bytes of the reusable work buffers: for the engine-op path one per device, the size of the
     * largest parameter; for the fused CPU path a few vectors per factored parameter.
     *
     * @return the scratch bytes
     */
    public long scratchBytes() {
        long bytes = devices.values().stream().mapToLong(d -> d.scratch.bytes()).sum();
        for (Map<Device, ParameterState> perDevice : states.values()) {
            for (ParameterState state : perDevice.values()) {
                bytes += state.workspaceBytes();
            }
        }
        return bytes;
    }

    /**
     * Memory per parameter, in parameter id order.
     *
     * @return one entry per parameter updated so far
     */
    public List<ParameterMemory> memoryByParameter() {
        List<ParameterMemory> result = new ArrayList<>();
        for (Map.Entry<String, Map<Device, ParameterState>> e : new TreeMap<>(states).entrySet()) {
            long state = 0;
            long adam = 0;
            long parameter = 0;
            ParameterState any = null;
            for (ParameterState s : e.getValue().values()) {
                any = s;
                state += s.stateBytes();
                adam += 2L * Float.BYTES * s.shape.size();
                parameter += s.shape.size() * s.dataType.getNumOfBytes();
            }
            if (any != null) {
                result.add(
                        new ParameterMemory(
                                e.getKey(),
                                any.shape,
                                any.secondMoment.factored(),
                                state,
                                adam,
                                parameter));
            }
        }
        return result;
    }

    /**
     * The latest step of every parameter: alpha_t, RMS of the unclipped update and whether clipping
     * fired. The figures stay on the device between steps; this reads them with one transfer per
     * device.
     *
     * @return the diagnostics, empty before the first step
     */
    public StepDiagnostics diagnostics() {
        Map<String, List<Map.Entry<String, ParameterState>>> byDevice = new TreeMap<>();
        for (Map.Entry<String, Map<Device, ParameterState>> e : new TreeMap<>(states).entrySet()) {
            for (Map.Entry<Device, ParameterState> d : e.getValue().entrySet()) {
                if (d.getValue().step() > 0) {
                    byDevice.computeIfAbsent(d.getKey().toString(), k -> new ArrayList<>())
                            .add(Map.entry(e.getKey(), d.getValue()));
                }
            }
        }
        Map<String, ParameterDiagnostics> result = new TreeMap<>();
        for (List<Map.Entry<String, ParameterState>> onDevice : byDevice.values()) {
            float[] values = readScalars(onDevice);
            for (int i = 0; i < onDevice.size(); i++) {
                String id = onDevice.get(i).getKey();
                float rms = values[2 * i + 1];
                // Every device applies the same step to a parameter: the first one answers.
                result.putIfAbsent(
                        id,
                        new ParameterDiagnostics(
                                id, onDevice.get(i).getValue().step(), values[2 * i], rms, rms > clipThreshold));
            }
        }
        return StepDiagnostics.of(new ArrayList<>(result.values()));
    }

    /** {alpha, RMS(U)} per state, with one device-to-host transfer for those still on the device. */
    private static float[] readScalars(List<Map.Entry<String, ParameterState>> states) {
        float[] values = new float[states.size() * 2];
        NDList onDevice = new NDList();
        for (int i = 0; i < states.size(); i++) {
            ParameterState s = states.get(i).getValue();
            if (s.figuresOnDevice()) {
                onDevice.add(s.lastAlpha());
                onDevice.add(s.lastUpdateRms());
            } else {
                values[2 * i] = s.hostAlpha();
                values[2 * i + 1] = s.hostUpdateRms();
            }
        }
        if (onDevice.isEmpty()) {
            return values;
        }
        float[] read;
        try (NDArray stacked = NDArrays.stack(onDevice)) {
            read = stacked.toFloatArray();
        }
        int next = 0;
        for (int i = 0; i < states.size(); i++) {
            if (states.get(i).getValue().figuresOnDevice()) {
                values[2 * i] = read[next++];
                values[2 * i + 1] = read[next++];
            }
        }
        return values;
    }

    /**
     * Writes the whole state (second moments, momentum and step count of every parameter) so that
     * {@link #loadState} on a fresh optimizer continues exactly.
     *
     * @param out the stream; not closed
     * @throws IOException if writing fails
     */
    public void saveState(OutputStream out) throws IOException {
        saveState(out, Map.of());
    }

    /**
     * Like {@link #saveState(OutputStream)}, writing each parameter under a stable name. DJL's
     * parameter ids are random per process; a checkpoint meant for another process should name
     * parameters by their path in the block (see {@code Block.getParameters()}).
     *
     * @param out the stream; not closed
     * @param names parameter id to the name written for it; ids not in the map are written as is
     * @throws IOException if writing fails
     */
    public void saveState(OutputStream out, Map<String, String> names) throws IOException {
        Map<String, ParameterState> primary = new TreeMap<>();
        for (Map.Entry<String, Map<Device, ParameterState>> e : states.entrySet()) {
            // Every device of a parameter applies the same aggregated gradient: one copy suffices.
            String name = names.getOrDefault(e.getKey(), e.getKey());
            e.getValue().values().stream().findFirst().ifPresent(s -> primary.put(name, s));
        }
        AdafactorCheckpoint.write(out, primary);
    }

    /**
     * Reads state written by {@link #saveState}. Each parameter's state moves to its device at its
     * next update; shapes are checked against the parameter then.
     *
     * @param in the stream; not closed
     * @throws IOException if reading fails or the data is not an Adafactor state
     * @throws IllegalStateException if this optimizer has already taken a step
     */
    public void loadState(InputStream in) throws IOException {
        loadState(in, Map.of());
    }

    /**
     * Like {@link #loadState(InputStream)}, for state saved under stable names.
     *
     * @param in the stream; not closed
     * @param ids the name written for a parameter to its id in this process; names not in the map
     *     are taken as ids
     * @throws IOException if reading fails or the data is not an Adafactor state
     */
    public void loadState(InputStream in, Map<String, String> ids) throws IOException {
        if (!states.isEmpty()) {
            throw new IllegalStateException("loadState must come before the first update");
        }
        restored.clear();
        for (Map.Entry<String, AdafactorCheckpoint.Entry> e : AdafactorCheckpoint.read(in).entrySet()) {
            restored.put(ids.getOrDefault(e.getKey(), e.getKey()), e.getValue());
        }
    }

    /** Frees the state and scratch arrays. */
    @Override
    public void close() {
        for (DeviceResources d : devices.values()) {
            d.manager.close();
        }
        devices.clear();
        states.clear();
    }

    Map<String, Map<Device, ParameterState>> states() {
        return Collections.unmodifiableMap(states);
    }

    /** The manager that owns a device's state arrays, and its scratch buffer. */
    private static final class DeviceResources {
        final NDManager manager;
        final Scratch scratch;

        DeviceResources(NDManager manager) {
            this.manager = manager;
            this.scratch = new Scratch(manager);
        }
    }

    /** Builds an {@link Adafactor}; defaults are the paper's. */
    public static final class Builder extends OptimizerBuilder<Builder> {

        private ParameterTracker learningRateTracker;
        private boolean relativeStep = true;
        private boolean scaleParameter = true;
        private boolean warmupInit;
        private float beta1;
        private float decayRate = 0.8f;
        private float beta2;
        private float clipThreshold = 1.0f;
        private float epsilon1 = 1e-30f;
        private float epsilon2 = 1e-3f;
        private boolean factored = true;
        private int minDimSizeToFactor = 1;
        private float weightDecay;
        private float rescale = 1f;
        private float gradClip = -1f;

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the step size rho_t used when the relative step is off.
         *
         * @param learningRateTracker the tracker, called with the parameter id and its step t
         * @return this builder
         */
        public Builder optLearningRateTracker(ParameterTracker learningRateTracker) {
            this.learningRateTracker = learningRateTracker;
            return this;
        }

        /**
         * Uses the relative step rho_t = min(1e-2, 1/sqrt(t)) (default true).
         *
         * @param relativeStep whether to use the relative step
         * @return this builder
         */
        public Builder optRelativeStep(boolean relativeStep) {
            this.relativeStep = relativeStep;
            return this;
        }

        /**
         * Scales the step by max(eps2, RMS(X)) (default true).
         *
         * @param scaleParameter whether to scale by the parameter's RMS
         * @return this builder
         */
        public Builder optScaleParameter(boolean scaleParameter) {
            this.scaleParameter = scaleParameter;
            return this;
        }

        /**
         * With the relative step, warms up as rho_t = min(1e-6 t, 1/sqrt(t)) (default false).
         *
         * @param warmupInit whether to warm up
         * @return this builder
         */
        public Builder optWarmupInit(boolean warmupInit) {
            this.warmupInit = warmupInit;
            return this;
        }

        /**
         * Sets the momentum coefficient beta1 in [0, 1); 0 (the default) keeps no momentum.
         *
         * @param beta1 the momentum coefficient
         * @return this builder
         */
        public Builder optBeta1(float beta1) {
            this.beta1 = beta1;
            return this;
        }

        /**
         * Sets c in beta2_t = 1 - t^-c (default 0.8).
         *
         * @param decayRate the decay rate exponent, &gt; 0
         * @return this builder
         */
        public Builder optDecayRate(float decayRate) {
            this.decayRate = decayRate;
            return this;
        }

        /**
         * Uses a fixed beta2 in (0, 1) with Adam's bias correction instead of the increasing decay
         * 1 - t^-c (default 0: the increasing decay). The paper's slow-decay experiments use 0.999.
         *
         * @param beta2 the fixed decay, or 0 for the increasing decay
         * @return this builder
         */
        public Builder optBeta2(float beta2) {
            this.beta2 = beta2;
            return this;
        }

        /**
         * Sets the update clipping threshold d (default 1).
         *
         * @param clipThreshold the threshold, &gt; 0
         * @return this builder
         */
        public Builder optClipThreshold(float clipThreshold) {
            this.clipThreshold = clipThreshold;
            return this;
        }

        /**
         * Sets eps1, added to the squared gradient (default 1e-30).
         *
         * @param epsilon1 the regulariser, &gt; 0
         * @return this builder
         */
        public Builder optEpsilon1(float epsilon1) {
            this.epsilon1 = epsilon1;
            return this;
        }

        /**
         * Sets eps2, the floor of the parameter scale (default 1e-3).
         *
         * @param epsilon2 the floor, &gt;= 0
         * @return this builder
         */
        public Builder optEpsilon2(float epsilon2) {
            this.epsilon2 = epsilon2;
            return this;
        }

        /**
         * Factors the second moment of rank &gt;= 2 parameters (default true).
         *
         * @param factored whether to factor
         * @return this builder
         */
        public Builder optFactored(boolean factored) {
            this.factored = factored;
            return this;
        }

        /**
         * Factors only when both of the last two dimensions are at least this (default 1).
         *
         * @param minDimSizeToFactor the minimum size, &gt;= 1
         * @return this builder
         */
        public Builder optMinDimSizeToFactor(int minDimSizeToFactor) {
            this.minDimSizeToFactor = minDimSizeToFactor;
            return this;
        }

        /**
         * Sets the decoupled weight decay: X = X - weightDecay alpha_t X (default 0).
         *
         * @param weightDecays the weight decay, &gt;= 0
         * @return this builder
         */
        @Override
        public Builder optWeightDecays(float weightDecays) {
            this.weightDecay = weightDecays;
            return super.optWeightDecays(weightDecays);
        }

        /** {@inheritDoc} */
        @Override
        public Builder setRescaleGrad(float rescaleGrad) {
            this.rescale = rescaleGrad;
            return super.setRescaleGrad(rescaleGrad);
        }

        /**
         * Clips each gradient element to [-clipGrad, clipGrad] after rescaling; a negative value
         * (the default) turns it off.
         *
         * @param clipGrad the bound
         * @return this builder
         */
        @Override
        public Builder optClipGrad(float clipGrad) {
            this.gradClip = clipGrad;
            return super.optClipGrad(clipGrad);
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         * @throws IllegalArgumentException naming the option when a value or combination is invalid
         */
        public Adafactor build() {
            validate();
            return new Adafactor(this);
        }

        private void validate() {
            require(beta1 >= 0f && beta1 < 1f, "optBeta1", "must be in [0, 1)", beta1);
            require(decayRate > 0f && Float.isFinite(decayRate), "optDecayRate", "must be > 0", decayRate);
            require(beta2 >= 0f && beta2 < 1f, "optBeta2", "must be in (0, 1), or 0 for the increasing decay", beta2);
            require(
                    clipThreshold > 0f && !Float.isNaN(clipThreshold),
                    "optClipThreshold",
                    "must be > 0",
                    clipThreshold);
            require(epsilon1 > 0f && Float.isFinite(epsilon1), "optEpsilon1", "must be > 0", epsilon1);
            require(epsilon2 >= 0f && Float.isFinite(epsilon2), "optEpsilon2", "must be >= 0", epsilon2);
            require(minDimSizeToFactor >= 1, "optMinDimSizeToFactor", "must be >= 1", minDimSizeToFactor);
            require(
                    weightDecay >= 0f && Float.isFinite(weightDecay),
                    "optWeightDecays",
                    "must be >= 0",
                    weightDecay);
            require(rescale > 0f && Float.isFinite(rescale), "setRescaleGrad", "must be > 0", rescale);
            require(
                    gradClip != 0f && !Float.isNaN(gradClip),
                    "optClipGrad",
                    "must be > 0 to clip, or negative to turn clipping off",
                    gradClip);
            if (relativeStep && learningRateTracker != null) {
                throw new IllegalArgumentException(
                        "optLearningRateTracker is set but optRelativeStep is true: the relative step"
                                + " replaces the learning rate; call optRelativeStep(false) to use the"
                                + " tracker");
            }
            if (!relativeStep && learningRateTracker == null) {
                throw new IllegalArgumentException(
                        "optRelativeStep(false) needs optLearningRateTracker: with no relative step the"
                                + " tracker gives the step size");
            }
            if (warmupInit && !relativeStep) {
                throw new IllegalArgumentException(
                        "optWarmupInit(true) needs optRelativeStep(true): the warm-up shapes the"
                                + " relative step");
            }
        }

        private static void require(boolean ok, String option, String rule, Number value) {
            if (!ok) {
                throw new IllegalArgumentException(option + " " + rule + ", got " + value);
            }
        }
    }
}
