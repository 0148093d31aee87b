package dev.sublinear.api;

import dev.sublinear.jobs.models.Inference;
import dev.sublinear.jobs.models.ModelService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import org.springframework.core.io.InputStreamResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/** {@code /v1/models}: catalog and fine-tuned models, and trying them out. */
@RestController
@Tag(name = "Models")
@RequestMapping("/v1/models")
class ModelsController {

    private final ModelService models;
    private final Tenant tenant;
    private final InferenceAnswers answers;

    ModelsController(ModelService models, Tenant tenant, InferenceAnswers answers) {
        this.models = models;
        this.tenant = tenant;
        this.answers = answers;
    }

    /** A prompt to continue. */
    @Schema(
            description = "A prompt to continue.",
            example = "{\"prompt\": \"abc\", \"max_tokens\": 16, \"temperature\": 0}")
    record CompletionRequest(
            @NotNull @Size(max = 10_000) String prompt,
            @Min(1) @Max(1024) Integer maxTokens,
            @DecimalMin("0") @DecimalMax("5") Double temperature,
            @Min(0) Long seed) {}

    @Schema(description = "One continuation.", example = "{\"index\": 0, \"text\": \"cba\"}")
    record Choice(int index, String text) {}

    @Schema(
            description = "The model's continuation.",
            example = "{\"object\": \"text_completion\", \"model\":"
                    + " \"ft:lm-tiny:demo:ftjob-abc\", \"choices\": [{\"index\": 0, \"text\": \"cba\"}]}")
    record Completion(String object, String model, List<Choice> choices) {}

    /** A text to classify. */
    @Schema(description = "A text to classify.", example = "{\"text\": \"apple\"}")
    record PredictionRequest(@NotNull @Size(max = 10_000) String text) {}

    @Schema(description = "A label's probability.", example = "{\"label\": \"vowel\", \"probability\": 0.97}")
    record Score(String label, double probability) {}

    @Schema(
            description = "The most likely label and every label's probability.",
            example = "{\"object\":"
                    + " \"prediction\", \"model\": \"ft:cls-tiny::ftjob-abc\", \"label\": "
                    + "\"vowel\", \"scores\": [{\"label\":"
                    + " \"vowel\", \"probability\": 0.97}, {\"label\": \"consonant\", \"probability\": 0.03}]}")
    record Prediction(String object, String model, String label, List<Score> scores) {}

    @GetMapping
    @Operation(
            operationId = "listModels",
            summary = "List models",
            description = "Catalog architectures, then the tenant's fine-tuned models, newest first.")
    ListObject<ModelObject> list() {
        return ListObject.of(
                models.list(tenant.current()).stream().map(ModelObject::of).toList(), false, ModelObject::id);
    }

    @GetMapping("/{model_id}")
    @Operation(
            operationId = "retrieveModel",
            summary = "Get a model",
            description = "A catalog architecture or one of the tenant's fine-tuned models.")
    ModelObject get(@PathVariable("model_id") String id) {
        return ModelObject.of(models.get(tenant.current(), id));
    }

    @DeleteMapping("/{model_id}")
    @Operation(
            operationId = "deleteModel",
            summary = "Delete a fine-tuned model",
            description = "Catalog models cannot be deleted; a model an unfinished job trains from neither (409).")
    DeletedObject delete(@PathVariable("model_id") String id) throws IOException {
        models.delete(tenant.current(), id);
        return new DeletedObject(id, "model", true);
    }

    @GetMapping("/{model_id}/content")
    @Operation(
            operationId = "downloadModel",
            summary = "Download a fine-tuned model",
            description = "A model archive (config.json and model.params); upload it elsewhere with purpose `model`.")
    @ApiResponse(
            responseCode = "200",
            description = "The model archive",
            content = @Content(mediaType = "application/zip", schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<InputStreamResource> content(@PathVariable("model_id") String id) throws IOException {
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/zip"))
                .body(new InputStreamResource(models.content(tenant.current(), id)));
    }

    @PostMapping("/{model_id}/completions")
    @Operation(
            operationId = "createCompletion",
            summary = "Continue a prompt (causal-lm models)",
            description = "Runs on the API process's CPU; for trying a model, not for serving traffic. A tenant and"
                    + " the process run a few at once (sublinear.inference.*): past that, 429 with Retry-After. A"
                    + " generation that runs past sublinear.inference.timeout is stopped: 503, generation_timeout.")
    @ApiResponse(responseCode = "200", description = "The continuation")
    @ApiResponse(
            responseCode = "429",
            description =
                    "Too many generations at once for the tenant or the service;" + " retry after Retry-After seconds",
            content =
                    @Content(
                            mediaType = "application/problem+json",
                            schema = @Schema(ref = "#/components/schemas/Problem")))
    @ApiResponse(
            responseCode = "503",
            description = "The generation ran past the time limit",
            content =
                    @Content(
                            mediaType = "application/problem+json",
                            schema = @Schema(ref = "#/components/schemas/Problem")))
    DeferredResult<Completion> complete(
            @PathVariable("model_id") String id,
            @Valid @RequestBody CompletionRequest request,
            HttpServletRequest http) {
        int maxTokens = request.maxTokens() == null ? 64 : request.maxTokens();
        Inference.Call<String> call = models.complete(
                tenant.current(),
                id,
                request.prompt(),
                maxTokens,
                request.temperature() == null ? 1f : request.temperature().floatValue(),
                request.seed() == null ? System.nanoTime() : request.seed());
        return answers.answer(http, call, text -> new Completion("text_completion", id, List.of(new Choice(0, text))));
    }

    @PostMapping("/{model_id}/predictions")
    @Operation(
            operationId = "createPrediction",
            summary = "Classify a text (classification models)",
            description = "The most likely label and every label's probability; runs on the API process's CPU, a few"
                    + " at once per tenant and process (past that, 429 with Retry-After).")
    @ApiResponse(responseCode = "200", description = "The prediction")
    @ApiResponse(
            responseCode = "429",
            description =
                    "Too many predictions at once for the tenant or the service;" + " retry after Retry-After seconds",
            content =
                    @Content(
                            mediaType = "application/problem+json",
                            schema = @Schema(ref = "#/components/schemas/Problem")))
    DeferredResult<Prediction> predict(
            @PathVariable("model_id") String id,
            @Valid @RequestBody PredictionRequest request,
            HttpServletRequest http) {
        return answers.answer(http, models.predict(tenant.current(), id, request.text()), probabilities -> {
            List<Score> scores = probabilities.entrySet().stream()
                    .map(e -> new Score(e.getKey(), e.getValue()))
                    .sorted(Comparator.comparingDouble(Score::probability).reversed())
                    .toList();
            return new Prediction("prediction", id, scores.get(0).label(), scores);
        });
    }
}
