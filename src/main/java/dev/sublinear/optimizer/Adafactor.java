package dev.sublinear.optimizer;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
 * <p>The state is float32 whatever the parameter's type; float16 parameters are updated in float32
 * and written back in their type. Two executions: fused CPU kernels for float32 CPU parameters
 * ({@link CpuStep}), and engine operations elsewhere ({@link BatchStep}), which keep every scalar on
 * the device and can step many small parameters as one batch ({@link #updateAll}); on the CPU
 * without the kernels, the engine path does its vectors and scalars on the host ({@link
 * CpuMatrixStep}, {@link CpuSmallStep}). Either zeroes the parameter's own gradient (DJL passes a
 * copy). State is kept per parameter and device, with one
 * step count per training step ({@link StateTable}); memory, diagnostics and state I/O are read from
 * it ({@link StateMemory}, {@link Diagnostics}, {@link AdafactorCheckpoint}). Updates of one
 * optimizer must not run concurrently, as in DJL's parameter server.
 *
 * <p>Longer than our other classes on purpose: the builder nests here as DJL's optimizers' builders
 * do, one documented {@code opt*} method per option, and the step's scalars (rho_t, beta2_t) and
 * the choice of execution are here; the equations of the engine path are in {@link BatchStep} (and
 * the CPU's two host-arithmetic steps), and state, memory, diagnostics and state I/O in
 * package-private classes beside them.
 */
public class Adafactor extends Optimizer implements StatefulOptimizer, AutoCloseable {

    private final AdafactorOptions options;
    /** The step size rho_t when the relative step is off. */
    private final ParameterTracker learningRateTracker;

    private final StateTable table;

    protected Adafactor(Builder builder) {
        super(builder);
        options = builder.validOptions();
        learningRateTracker = builder.learningRateTracker;
        if (options.relativeStep() && learningRateTracker != null) {
            throw new IllegalArgumentException("optLearningRateTracker is set but optRelativeStep is true: the"
                    + " relative step replaces the learning rate; call optRelativeStep(false) to use the tracker");
        }
        if (!options.relativeStep() && learningRateTracker == null) {
            throw new IllegalArgumentException("optRelativeStep(false) needs optLearningRateTracker: with no relative"
                    + " step the tracker gives the step size");
        }
        if (rescaleGrad <= 0f || !Float.isFinite(rescaleGrad)) {
            throw new IllegalArgumentException("setRescaleGrad must be > 0, got " + rescaleGrad);
        }
        if (clipGrad == 0f || Float.isNaN(clipGrad)) {
            throw new IllegalArgumentException(
                    "optClipGrad must be > 0 to clip, or negative to turn clipping off," + " got " + clipGrad);
        }
        table = new StateTable(options::isFactored, options.momentum());
    }

    /**
     * Returns a builder with the paper's defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} The gradient is only read (DJL may hand the same copy to another device). */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        boolean gradMode = EngineSupport.disableGradMode(weight);
        // On several GPUs DJL attaches parameter copies to a manager of another device: temporaries
        // and scalars must be created on the weight's own device.
        try (NDManager step = weight.getManager().newSubManager(weight.getDevice())) {
            StateTable.DeviceResources device = table.device(weight);
            ParameterState state = table.state(parameterId, weight, device);
            int t = state.step() + 1;
            device.scalars.beginStep(t);
            if (!fusedCpuStep(parameterId, weight, grad, state, t)
                    && !smallCpuStep(parameterId, weight, grad, state, t)) {
                engineStep(List.of(new Member(parameterId, weight, grad, state)), false, t, device, step);
            }
            EngineSupport.zeroGradient(weight);
        } finally {
            EngineSupport.restoreGradMode(weight, gradMode);
        }
    }

    /**
     * One training step over many parameters at once: what {@code Trainer.step()} does through
     * {@link #update} one parameter at a time, but with the engine-op path's parameters of up to
     * {@value #GROUP_LIMIT} elements of one shape, type, device and step count stepped as one batch
     * ({@link BatchStep}), the multi-tensor idea of PyTorch's {@code foreach} optimizers: a model's
     * hundreds of biases and norms cost a few dozen engine operations, plus one subtraction and one
     * gradient reset each. Float32 parameters on the CPU take the fused kernels one by one, as in
     * {@link #update}. The result is the same as updating each parameter on its own.
     *
     * @param updates each parameter once, with its gradient, which this step may overwrite (the
     *     weight's own gradient is zeroed after)
     */
    public void updateAll(List<ParameterUpdate> updates) {
        if (updates.isEmpty()) {
            return;
        }
        NDArray first = updates.get(0).weight();
        boolean gradMode = EngineSupport.disableGradMode(first);
        try {
            Map<GroupKey, List<Member>> batches = new LinkedHashMap<>();
            for (ParameterUpdate u : updates) {
                StateTable.DeviceResources device = table.device(u.weight());
                ParameterState state = table.state(u.parameterId(), u.weight(), device);
                int t = state.step() + 1;
                device.scalars.beginStep(t);
                Member member = new Member(u.parameterId(), u.weight(), u.gradient(), state);
                if (fusedCpuStep(u.parameterId(), u.weight(), u.gradient(), state, t)
                        || smallCpuStep(u.parameterId(), u.weight(), u.gradient(), state, t)) {
                    EngineSupport.zeroGradient(u.weight());
                } else {
                    GroupKey key = GroupKey.of(member, device, t);
                    batches.computeIfAbsent(key, k -> new ArrayList<>()).add(member);
                }
            }
            for (Map.Entry<GroupKey, List<Member>> batch : batches.entrySet()) {
                StateTable.DeviceResources device = batch.getKey().device();
                for (List<Member> members : chunks(batch.getValue())) {
                    try (NDManager step = device.manager.newSubManager()) {
                        engineStep(members, true, batch.getKey().step(), device, step);
                    }
                    for (Member m : members) {
                        EngineSupport.zeroGradient(m.weight());
                    }
                }
            }
        } finally {
            EngineSupport.restoreGradMode(first, gradMode);
        }
    }

    /**
     * Parameters of at most this many elements are stepped in groups by {@link #updateAll}: a
     * transformer's biases and norms. Larger ones are stepped one by one, in place on their own
     * gradient: concatenating them would cost two passes over the weights and gradients, more on
     * the CPU than the few dozen engine calls a batch saves.
     */
    public static final int GROUP_LIMIT = 1 << 16;

    /**
     * The most elements one batch of {@link #updateAll} steps at once. The batch's weights and
     * gradients are concatenated (and on the CPU its squared gradient written), so this bounds the
     * step's temporaries: three float32 arrays of this size, 24 MiB.
     */
    public static final int BATCH_ELEMENTS = 1 << 21;

    /** Consecutive runs of the members with at most {@link #BATCH_ELEMENTS} elements in all. */
    private static List<List<Member>> chunks(List<Member> members) {
        List<List<Member>> chunks = new ArrayList<>();
        List<Member> current = new ArrayList<>();
        long elements = 0;
        for (Member m : members) {
            long size = m.state().shape.size();
            if (!current.isEmpty() && elements + size > BATCH_ELEMENTS) {
                chunks.add(current);
                current = new ArrayList<>();
                elements = 0;
            }
            current.add(m);
            elements += size;
        }
        chunks.add(current);
        return chunks;
    }

    /** A parameter of one step: its id, weight, gradient and state. */
    private record Member(String id, NDArray weight, NDArray gradient, ParameterState state) {}

    /**
     * What parameters stepped as one batch share. {@code shape} is the parameter's shape, or, for a
     * parameter too large to group or of rank 0, the parameter itself: a key of its own.
     */
    private record GroupKey(
            StateTable.DeviceResources device, Object shape, DataType type, boolean factored, int step) {
        static GroupKey of(Member m, StateTable.DeviceResources device, int step) {
            ParameterState s = m.state();
            boolean groupable = s.shape.dimension() > 0 && s.shape.size() <= GROUP_LIMIT;
            return new GroupKey(device, groupable ? s.shape : m, s.dataType, s.factored, step);
        }
    }

    /** The step on float32 CPU parameters through the fused kernels; false where it does not apply. */
    private boolean fusedCpuStep(String parameterId, NDArray weight, NDArray grad, ParameterState state, int t) {
        ByteBuffer view = CpuStep.applies(weight, grad) ? CpuStep.writableView(weight) : null;
        if (view == null) {
            return false;
        }
        state.nextStep();
        float clip = clipGrad > 0 ? clipGrad : 0f;
        CpuStep.Scalars scalars = new CpuStep.Scalars(rescaleGrad, clip, secondMomentDecay(t), options.epsilon1());
        float[] figures = CpuStep.run(view, grad, state, scalars, relativeStepSize(parameterId, t), options);
        state.record(figures[0], figures[1]);
        return true;
    }

    /** A small parameter's step with a full second moment, on the CPU's host; false where it does not apply. */
    private boolean smallCpuStep(String parameterId, NDArray weight, NDArray grad, ParameterState state, int t) {
        if (!CpuSmallStep.applies(weight, grad, state, GROUP_LIMIT)) {
            return false;
        }
        state.nextStep();
        CpuSmallStep.Scalars scalars = new CpuSmallStep.Scalars(
                rescaleGrad, clipGrad > 0 ? clipGrad : 0f, relativeStepSize(parameterId, t), secondMomentDecay(t));
        float[] figures = CpuSmallStep.run(weight, grad, state, scalars, options);
        state.record(figures[0], figures[1]);
        return true;
    }

    /**
     * The step as engine operations on a batch of parameters of one shape, type and device (one
     * parameter is a batch of one): X = X - (weightDecay alpha_t X + S), with S from {@link
     * BatchStep}. The update is computed in float32 and subtracted from half-precision weights in
     * one rounding; no float32 copy of a weight outlives the step.
     */
    private void engineStep(
            List<Member> members, boolean gradientsOwned, int t, StateTable.DeviceResources device, NDManager step) {
        Member head = members.get(0);
        Shape shape = head.state().shape;
        int count = members.size();
        NDList weights = new NDList(count);
        NDList gradients = new NDList(count);
        List<ParameterState> states = new ArrayList<>(count);
        float[] rhos = new float[count];
        for (int i = 0; i < count; i++) {
            Member m = members.get(i);
            m.weight().tempAttach(step);
            m.gradient().tempAttach(step);
            weights.add(m.weight());
            gradients.add(m.gradient());
            states.add(m.state());
            rhos[i] = relativeStepSize(m.id(), t);
            m.state().nextStep();
        }
        Shape batchShape = new Shape(count).addAll(shape);
        boolean single = count == 1;
        List<NDArray> state;
        if (single) {
            head.state().tempAttachTo(step);
            state = head.state().arrays();
        } else {
            state = table.groups().batched(states, step);
        }
        NDArray x = stacked(weights, batchShape);
        boolean owned = gradientsOwned || count > 1 || head.gradient().getDataType() != DataType.FLOAT32;
        NDArray g = stacked(gradients, batchShape);
        float gradScale = rescaleGrad;
        if (clipGrad > 0) {
            NDArray scaled = owned ? g.muli(device.scalars.of(rescaleGrad)) : g.mul(device.scalars.of(rescaleGrad));
            g = scaled.clip(-clipGrad, clipGrad);
            gradScale = 1f;
            owned = true;
        }
        if (single && device.scratch != null && x == head.weight() && CpuMatrixStep.applies(x, g, head.state())) {
            float[] figures = new CpuMatrixStep(options, device.scratch, step)
                    .run(x, g, owned, state.get(0), state.get(1), gradScale, rhos[0], secondMomentDecay(t));
            head.state().record(figures[0], figures[1]);
            return;
        }
        int kinds = head.state().factored ? 2 : 1;
        BatchStep.Result r = new BatchStep(options, device.scalars, device.scratch, step)
                .run(new BatchStep.Batch(
                        x,
                        g,
                        owned,
                        state.subList(0, kinds),
                        head.state().hasMomentum ? state.get(kinds) : null,
                        gradScale,
                        rho(rhos, device, step),
                        secondMomentDecay(t),
                        single));
        if (single) {
            head.weight().subi(r.delta()); // X = X - delta, rounded once to X's type
        } else {
            NDList parts = r.delta()
                    .reshape(new Shape(count * shape.get(0)).addAll(shape.slice(1)))
                    .split(count, 0);
            for (int i = 0; i < count; i++) {
                members.get(i).weight().subi(parts.get(i));
            }
        }
        StepFigures figures = new StepFigures(r.alphas(), r.updateRms(), count, device.manager);
        for (int i = 0; i < count; i++) {
            states.get(i).record(figures, i);
        }
    }

    /** The arrays as one float32 [P, ...] array; one array keeps its shape (and is itself if float32). */
    private static NDArray stacked(NDList arrays, Shape batchShape) {
        NDArray joined =
                arrays.size() == 1 ? arrays.head() : NDArrays.concat(arrays).reshape(batchShape);
        return joined.getDataType() == DataType.FLOAT32 ? joined : joined.toType(DataType.FLOAT32, false);
    }

    /** rho_t as a device array: one cached scalar when every parameter has the same, else a vector. */
    private static NDArray rho(float[] rhos, StateTable.DeviceResources device, NDManager step) {
        for (float r : rhos) {
            if (Float.floatToIntBits(r) != Float.floatToIntBits(rhos[0])) {
                return step.create(rhos);
            }
        }
        return device.scalars.of(rhos[0]);
    }

    /**
     * beta2_t: the increasing decay 1 - t^-c, or, with a fixed beta2, Adam's bias correction folded
     * into the decay (the paper's section 7: beta2 (1 - beta2^(t-1)) / (1 - beta2^t), 0 at t = 1), so
     * the moving average is the bias-corrected one without a second pass over the state.
     */
    private float secondMomentDecay(int t) {
        if (options.beta2() != null) {
            float beta2 = options.beta2();
            return (float) (beta2 * -Math.expm1((t - 1) * Math.log(beta2)) / -Math.expm1(t * Math.log(beta2)));
        }
        return 1f - (float) Math.pow(t, -options.decayRate());
    }

    /** rho_t: the relative step min(1e-2 or 1e-6 t, 1/sqrt(t)), or the tracker's rate. */
    private float relativeStepSize(String parameterId, int t) {
        if (!options.relativeStep()) {
            float rate = learningRateTracker.getNewValue(parameterId, t);
            if (!Float.isFinite(rate) || rate < 0f) {
                throw new IllegalStateException(
                        "learning rate tracker returned " + rate + " for " + parameterId + " at step " + t);
            }
            return rate;
        }
        double cap = options.warmupInit() ? 1e-6 * t : 1e-2;
        return (float) Math.min(cap, 1.0 / Math.sqrt(t));
    }

    /** {@inheritDoc} Here: second moments and momentum; scratch space is {@link #scratchBytes()}. */
    @Override
    public long stateBytes() {
        return StateMemory.stateBytes(table);
    }

    /** {@inheritDoc} */
    @Override
    public long adamEquivalentBytes() {
        return memoryByParameter().stream()
                .mapToLong(ParameterMemory::adamEquivalentBytes)
                .sum();
    }

    /** @return bytes of the parameters this optimizer has updated, summed over devices */
    public long parameterBytes() {
        return memoryByParameter().stream()
                .mapToLong(ParameterMemory::parameterBytes)
                .sum();
    }

    /**
     * @return bytes of the reusable work buffers: for the engine-op path one per device, the size
     *     of the largest parameter; for the fused CPU path a few vectors per factored parameter
     */
    public long scratchBytes() {
        return StateMemory.scratchBytes(table);
    }

    /** The 0-d scalar arrays cached on the devices now ({@link DeviceScalars}); varies a little by step. */
    int cachedScalars() {
        return table.devices().stream().mapToInt(d -> d.scalars.held()).sum();
    }

    /** @return memory per parameter updated so far, in parameter id order */
    public List<ParameterMemory> memoryByParameter() {
        return StateMemory.byParameter(table);
    }

    /**
     * The latest step of every parameter: alpha_t, RMS of the unclipped update and whether clipping
     * fired. The figures stay on the device between steps; this reads them with one transfer per
     * device.
     *
     * @return the diagnostics, empty before the first step
     */
    public StepDiagnostics diagnostics() {
        return Diagnostics.read(table, options.clipThreshold());
    }

    /** {@inheritDoc} Always present: {@link #diagnostics()}. */
    @Override
    public Optional<StepDiagnostics> lastStepDiagnostics() {
        return Optional.of(diagnostics());
    }

    /**
     * {@inheritDoc} Written: the second moments, momentum and step count of every parameter, in the
     * format of {@link AdafactorCheckpoint}.
     */
    @Override
    public void saveState(OutputStream out, Map<String, String> names) throws IOException {
        AdafactorCheckpoint.save(out, table, names);
    }

    /**
     * {@inheritDoc} Each parameter's state moves to its device at its next update; its shapes and
     * layout (factored, momentum) are checked against the parameter and these options then.
     */
    @Override
    public void loadState(InputStream in, Map<String, String> ids) throws IOException {
        table.restore(AdafactorCheckpoint.load(in, ids));
    }

    /** Frees the state and scratch arrays. */
    @Override
    public void close() {
        table.close();
    }

    /**
     * Builds an {@link Adafactor}; defaults are the paper's. {@link #build()} throws {@link
     * IllegalArgumentException} naming the option when a value or a combination is invalid.
     */
    public static final class Builder extends OptimizerBuilder<Builder> {

        private ParameterTracker learningRateTracker;
        private boolean relativeStep;
        private boolean scaleParameter;
        private boolean warmupInit;
        private float beta1;
        private Float beta2;
        private float decayRate;
        private float clipThreshold;
        private float epsilon1;
        private float epsilon2;
        private boolean factored;
        private int minDimSizeToFactor;
        private float weightDecay;

        Builder() {
            optOptions(AdafactorOptions.defaults());
        }

        /** Sets every Adafactor option at once (the learning-rate tracker and gradient rescaling apart). */
        public Builder optOptions(AdafactorOptions options) {
            relativeStep = options.relativeStep();
            scaleParameter = options.scaleParameter();
            warmupInit = options.warmupInit();
            beta1 = options.beta1();
            beta2 = options.beta2();
            decayRate = options.decayRate();
            clipThreshold = options.clipThreshold();
            epsilon1 = options.epsilon1();
            epsilon2 = options.epsilon2();
            factored = options.factored();
            minDimSizeToFactor = options.minDimSizeToFactor();
            return optWeightDecays(options.weightDecay());
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /** Sets the tracker that gives rho_t (called with the parameter id and t) when the relative step is off. */
        public Builder optLearningRateTracker(ParameterTracker learningRateTracker) {
            this.learningRateTracker = learningRateTracker;
            return this;
        }

        /** Uses the relative step rho_t = min(1e-2, 1/sqrt(t)) (default true). */
        public Builder optRelativeStep(boolean relativeStep) {
            this.relativeStep = relativeStep;
            return this;
        }

        /** Scales the step by max(eps2, RMS(X)) (default true). */
        public Builder optScaleParameter(boolean scaleParameter) {
            this.scaleParameter = scaleParameter;
            return this;
        }

        /** With the relative step, warms up as rho_t = min(1e-6 t, 1/sqrt(t)) (default false). */
        public Builder optWarmupInit(boolean warmupInit) {
            this.warmupInit = warmupInit;
            return this;
        }

        /** Sets the momentum coefficient beta1 in [0, 1); 0 (the default) keeps no momentum. */
        public Builder optBeta1(float beta1) {
            this.beta1 = beta1;
            return this;
        }

        /** Sets c &gt; 0 in beta2_t = 1 - t^-c (default 0.8). */
        public Builder optDecayRate(float decayRate) {
            this.decayRate = decayRate;
            return this;
        }

        /**
         * Uses a fixed beta2 in (0, 1) with Adam's bias correction instead of the increasing decay
         * 1 - t^-c (default 0: the increasing decay). The paper's slow-decay experiments use 0.999.
         */
        public Builder optBeta2(float beta2) {
            this.beta2 = beta2 == 0f ? null : beta2;
            return this;
        }

        /** Sets the update clipping threshold d &gt; 0 (default 1). */
        public Builder optClipThreshold(float clipThreshold) {
            this.clipThreshold = clipThreshold;
            return this;
        }

        /** Sets eps1 &gt; 0, added to the squared gradient (default 1e-30). */
        public Builder optEpsilon1(float epsilon1) {
            this.epsilon1 = epsilon1;
            return this;
        }

        /** Sets eps2 &gt;= 0, the floor of the parameter scale (default 1e-3). */
        public Builder optEpsilon2(float epsilon2) {
            this.epsilon2 = epsilon2;
            return this;
        }

        /** Factors the second moment of rank &gt;= 2 parameters (default true). */
        public Builder optFactored(boolean factored) {
            this.factored = factored;
            return this;
        }

        /** Factors only when both of the last two dimensions are at least this, &gt;= 1 (default 1). */
        public Builder optMinDimSizeToFactor(int minDimSizeToFactor) {
            this.minDimSizeToFactor = minDimSizeToFactor;
            return this;
        }

        /** Sets the decoupled weight decay &gt;= 0: X = X - weightDecay alpha_t X (default 0). */
        @Override
        public Builder optWeightDecays(float weightDecays) {
            this.weightDecay = weightDecays;
            return super.optWeightDecays(weightDecays);
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         * @throws IllegalArgumentException naming the option when a value or combination is invalid
         */
        public Adafactor build() {
            return new Adafactor(this);
        }

        /** The options, checked; an error names the builder method that set the value at fault. */
        private AdafactorOptions validOptions() {
            try {
                return options().validate();
            } catch (AdafactorOptions.InvalidOptionException e) {
                String option = e.option();
                String method = "opt" + Character.toUpperCase(option.charAt(0)) + option.substring(1)
                        + (option.equals("weightDecay") ? "s" : "");
                throw new IllegalArgumentException(e.getMessage().replaceFirst(option, method), e);
            }
        }

        /** The options as set so far, unchecked ({@link AdafactorOptions#validate()} checks them). */
        public AdafactorOptions options() {
            return new AdafactorOptions(
                    relativeStep,
                    scaleParameter,
                    warmupInit,
                    beta1,
                    beta2,
                    decayRate,
                    clipThreshold,
                    epsilon1,
                    epsilon2,
                    factored,
                    minDimSizeToFactor,
                    weightDecay);
        }
    }
}
