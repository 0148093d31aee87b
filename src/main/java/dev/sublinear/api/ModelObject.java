package dev.sublinear.api;

import dev.sublinear.jobs.ModelService.ModelInfo;

/** A model ({@code object: "model"}): a catalog architecture or a fine-tuned model of the tenant. */
public record ModelObject(String id, String object, long created, String ownedBy, String task, String baseModel,
        String fineTuningJobId) {

    static ModelObject of(ModelInfo m) {
        return new ModelObject(m.id(), "model", m.createdAt() / 1000, m.ownedBy(), m.taskId(), m.baseModel(), m.jobId());
    }
}
