package dev.sublinear.jobs;

/**
 * One optimizer step's figures. NaN-free: fields a step has no value for are null.
 *
 * @param learningRate Adafactor's mean alpha_t, or the schedule's rate for Adam
 * @param updateRms Adafactor's mean RMS of the unclipped update
 * @param clipRate fraction of parameters whose update was clipped
 */
public record MetricPoint(
        int step,
        Double trainLoss,
        Double validLoss,
        Double validAccuracy,
        Double learningRate,
        Double updateRms,
        Double clipRate,
        Double tokensPerSecond,
        Long residentBytes) {}
