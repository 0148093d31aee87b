package dev.sublinear.training.run;

/**
 * What a listener hears after every optimizer step.
 *
 * @param step optimizer steps done
 * @param totalSteps steps the run will take
 * @param epoch current epoch (from 1)
 * @param tokens tokens (causal LM) or examples' tokens (classification) trained in this step
 * @param trainedTokens tokens trained since the run began, counting steps before a resume
 * @param trainLoss mean loss of the step's micro-batches
 * @param stepSize Adafactor's mean alpha_t, or the learning rate of Adam/AdamW
 * @param updateRms Adafactor's mean RMS of the unclipped update (NaN for others)
 * @param clipRate fraction of parameters whose update was clipped (NaN for others)
 * @param tokensPerSecond tokens (causal LM) or examples (classification) per second in this step
 * @param elapsedSeconds since the run started
 * @param etaSeconds estimated time to the end
 * @param optimizerStateBytes bytes of optimizer state held now
 * @param adamEquivalentBytes what Adam would hold
 * @param parameterBytes bytes of the model's parameters
 * @param heapBytes JVM heap in use
 * @param residentBytes the process's resident memory (heap, native and libtorch)
 * @param gpuBytes GPU memory in use on the run's first device, or -1 on the CPU
 */
public record StepReport(
        int step,
        int totalSteps,
        int epoch,
        long tokens,
        long trainedTokens,
        float trainLoss,
        float stepSize,
        float updateRms,
        float clipRate,
        double tokensPerSecond,
        double elapsedSeconds,
        double etaSeconds,
        long optimizerStateBytes,
        long adamEquivalentBytes,
        long parameterBytes,
        long heapBytes,
        long residentBytes,
        long gpuBytes) {}
