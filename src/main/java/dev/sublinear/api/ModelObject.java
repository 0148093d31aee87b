package dev.sublinear.api;

import dev.sublinear.jobs.models.ModelService.ModelInfo;
import io.swagger.v3.oas.annotations.media.Schema;

/** A model ({@code object: "model"}): a catalog architecture or a fine-tuned model of the tenant. */
@Schema(
        description = "A catalog architecture (owned_by `sublinear`) or a fine-tuned model of the tenant.",
        example = "{\"id\": \"ft:lm-tiny:demo:ftjob-abc123\", \"object\": \"model\", "
                + "\"created\": 1795586219, \"owned_by\": \"default\", \"task\": "
                + "\"causal-lm\", \"base_model\": \"lm-tiny\", \"fine_tuning_job_id\": \"ftjob-abc123\"}")
public record ModelObject(
        String id,
        String object,
        long created,
        String ownedBy,
        String task,
        @Schema(types = {"string", "null"}) String baseModel,
        @Schema(types = {"string", "null"}) String fineTuningJobId) {

    static ModelObject of(ModelInfo m) {
        return new ModelObject(
                m.id(), "model", m.createdAt() / 1000, m.ownedBy(), m.taskId(), m.baseModel(), m.jobId());
    }
}
