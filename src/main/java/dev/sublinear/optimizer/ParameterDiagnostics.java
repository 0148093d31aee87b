package dev.sublinear.optimizer;

/**
 * One parameter's latest step.
 *
 * @param parameterId the parameter
 * @param step its step count t
 * @param alpha the step size alpha_t actually applied (before clipping)
 * @param updateRms RMS of the preconditioned update U = G / sqrt(V), before clipping
 * @param clipped whether update clipping scaled the update down (RMS(U) &gt; clip threshold)
 */
public record ParameterDiagnostics(String parameterId, int step, float alpha, float updateRms, boolean clipped) {}
