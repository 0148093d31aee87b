package dev.sublinear.training.run;

import java.util.List;

/**
 * What a listener hears after every optimizer step.
 *
 * @param trainLoss mean loss of the step's micro-batches
 * @param trainAccuracy the step's mean token accuracy: over all its micro-batches, the
 *     mask-weighted fraction of the target tokens the loss counts whose argmax prediction is the
 *     target (causal LM), or the fraction of rows classified right (classification); NaN when the
 *     step counted nothing
 */
public record StepReport(
        Progress progress,
        float trainLoss,
        float trainAccuracy,
        Throughput throughput,
        Diagnostics diagnostics,
        OptimizerMemory optimizerMemory,
        Memory memory) {

    /**
     * How far the run is.
     *
     * @param step optimizer steps done
     * @param totalSteps steps the run will take
     * @param epoch current epoch (from 1)
     * @param trainedTokens tokens trained since the run began, counting steps before a resume
     * @param elapsedSeconds since the run started
     * @param etaSeconds estimated time to the end
     */
    public record Progress(
            int step, int totalSteps, int epoch, long trainedTokens, double elapsedSeconds, double etaSeconds) {}

    /**
     * How fast this step went.
     *
     * @param tokens tokens (causal LM) or examples' tokens (classification) trained in this step
     * @param tokensPerSecond tokens (causal LM) or examples (classification) per second in this step
     */
    public record Throughput(long tokens, double tokensPerSecond) {}

    /**
     * The optimizer's view of the step.
     *
     * @param stepSize Adafactor's mean alpha_t, or the learning rate of Adam/AdamW
     * @param updateRms Adafactor's mean RMS of the unclipped update (NaN for others)
     * @param clipRate fraction of parameters whose update was clipped (NaN for others)
     */
    public record Diagnostics(float stepSize, float updateRms, float clipRate) {}

    /**
     * The memory the optimizer takes, beside what Adam would.
     *
     * @param stateBytes bytes of optimizer state held now
     * @param adamEquivalentBytes what Adam would hold
     * @param parameterBytes bytes of the model's parameters
     * @param byParameter every parameter's share, in the block's order; the same list at every step
     *     of a run (the state never changes size), empty where not measured
     */
    public record OptimizerMemory(
            long stateBytes, long adamEquivalentBytes, long parameterBytes, List<ParameterFootprint> byParameter) {

        public OptimizerMemory {
            byParameter = List.copyOf(byParameter);
        }

        /** Totals only. */
        public OptimizerMemory(long stateBytes, long adamEquivalentBytes, long parameterBytes) {
            this(stateBytes, adamEquivalentBytes, parameterBytes, List.of());
        }
    }

    /**
     * The memory the process takes.
     *
     * @param heapBytes JVM heap in use
     * @param residentBytes the process's resident memory (heap, native and libtorch)
     * @param gpuBytes GPU memory in use on the run's first device, or -1 on the CPU
     */
    public record Memory(long heapBytes, long residentBytes, long gpuBytes) {}
}
