package dev.sublinear.jobs;

import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.files.FileService;
import dev.sublinear.jobs.models.ModelService;
import dev.sublinear.jobs.models.SystemModels;
import dev.sublinear.training.model.ModelCatalog;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Resolves a {@code model} field: a catalog name, a model of the operator's models directory, {@code
 * ft:…}, {@code ftckpt-…} or an uploaded {@code file-…}.
 */
@Component
public class BaseModels {

    private final ModelService models;
    private final JobCheckpoints checkpoints;
    private final FileService files;
    private final JobStore jobs;
    private final SystemModels system;

    public BaseModels(
            ModelService models, JobCheckpoints checkpoints, FileService files, JobStore jobs, SystemModels system) {
        this.models = models;
        this.system = system;
        this.checkpoints = checkpoints;
        this.files = files;
        this.jobs = jobs;
    }

    /** @throws InvalidRequestException naming {@code param} when the tenant has no such model */
    public BaseModel resolve(String tenantId, String model, String param) {
        if (ModelCatalog.names().contains(model)) {
            return new BaseModel.Catalog(model, ModelCatalog.taskOf(model));
        }
        Optional<SystemModels.SystemModel> operators = system.find(model);
        if (operators.isPresent()) {
            SystemModels.SystemModel m = operators.get();
            return new BaseModel.System(m.name(), m.directory(), m.task());
        }
        if (model.startsWith("ft:")) {
            return models.find(tenantId, model)
                    .<BaseModel>map(BaseModel.FineTuned::new)
                    .orElseThrow(() -> unknown(model, param));
        }
        if (model.startsWith("ftckpt-")) {
            CheckpointRecord c = checkpoints.find(tenantId, model).orElseThrow(() -> unknown(model, param));
            JobRecord job = jobs.find(tenantId, c.jobId()).orElseThrow(() -> unknown(model, param));
            return new BaseModel.FromCheckpoint(c, job.task());
        }
        if (model.startsWith("file-")) {
            FileRecord f = files.find(tenantId, model).orElseThrow(() -> unknown(model, param));
            if (!FileRecord.MODEL.equals(f.purpose()) || !f.usable()) {
                throw new InvalidRequestException(
                        param,
                        "file " + model + " is not a usable model archive (purpose '" + f.purpose() + "', status '"
                                + f.status() + "')");
            }
            return new BaseModel.Uploaded(f, f.tasks().iterator().next());
        }
        throw unknown(model, param);
    }

    private static InvalidRequestException unknown(String model, String param) {
        return new InvalidRequestException(
                param,
                "no model '" + InvalidRequestException.echo(model) + "': use a catalog model " + ModelCatalog.names()
                        + ", a model of GET /v1/models, a fine-tuned model (ft:…), a checkpoint (ftckpt-…) or an"
                        + " uploaded model file");
    }
}
