package dev.sublinear.optimizer;

import java.util.List;

/**
 * The latest step of every parameter, with aggregates for a dashboard.
 *
 * @param parameters per-parameter figures, in parameter id order
 * @param meanAlpha mean step size over parameters
 * @param meanUpdateRms mean RMS of the unclipped update over parameters
 * @param maxUpdateRms largest RMS of the unclipped update
 * @param clipRate fraction of parameters whose update was clipped
 */
public record StepDiagnostics(
        List<ParameterDiagnostics> parameters,
        float meanAlpha,
        float meanUpdateRms,
        float maxUpdateRms,
        float clipRate) {

    static StepDiagnostics of(List<ParameterDiagnostics> parameters) {
        if (parameters.isEmpty()) {
            return new StepDiagnostics(List.of(), 0f, 0f, 0f, 0f);
        }
        double alpha = 0;
        double rms = 0;
        float maxRms = 0f;
        int clipped = 0;
        for (ParameterDiagnostics p : parameters) {
            alpha += p.alpha();
            rms += p.updateRms();
            maxRms = Math.max(maxRms, p.updateRms());
            clipped += p.clipped() ? 1 : 0;
        }
        int count = parameters.size();
        return new StepDiagnostics(
                List.copyOf(parameters),
                (float) (alpha / count),
                (float) (rms / count),
                maxRms,
                (float) clipped / count);
    }
}
