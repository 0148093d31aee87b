package dev.sublinear.api;

import dev.sublinear.jobs.ModelService;
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
import java.util.Map;
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

/** {@code /v1/models}: catalog and fine-tuned models, and trying them out. */
@RestController
@RequestMapping("/v1/models")
class ModelsController {

    private final ModelService models;
    private final Tenant tenant;

    ModelsController(ModelService models, Tenant tenant) {
        this.models = models;
        this.tenant = tenant;
    }

    /** A prompt to continue. */
    record CompletionRequest(
            @NotNull @Size(max = 10_000) String prompt,
            @Min(1) @Max(1024) Integer maxTokens,
            @DecimalMin("0") @DecimalMax("5") Double temperature,
            @Min(0) Long seed) {}

    record Choice(int index, String text, String finishReason) {}

    record Completion(String object, String model, List<Choice> choices) {}

    /** A text to classify. */
    record PredictionRequest(@NotNull @Size(max = 10_000) String text) {}

    record Score(String label, double probability) {}

    record Prediction(String object, String model, String label, List<Score> scores) {}

    @GetMapping
    ListObject<ModelObject> list() {
        return ListObject.of(models.list(tenant.current()).stream().map(ModelObject::of).toList(), false,
                ModelObject::id);
    }

    @GetMapping("/{model_id}")
    ModelObject get(@PathVariable("model_id") String id) {
        return ModelObject.of(models.get(tenant.current(), id));
    }

    @DeleteMapping("/{model_id}")
    Map<String, Object> delete(@PathVariable("model_id") String id) throws IOException {
        models.delete(tenant.current(), id);
        return Map.of("id", id, "object", "model", "deleted", true);
    }

    @GetMapping("/{model_id}/content")
    ResponseEntity<InputStreamResource> content(@PathVariable("model_id") String id) throws IOException {
        return ResponseEntity.ok().contentType(MediaType.parseMediaType("application/zip"))
                .body(new InputStreamResource(models.content(tenant.current(), id)));
    }

    @PostMapping("/{model_id}/completions")
    Completion complete(@PathVariable("model_id") String id, @Valid @RequestBody CompletionRequest request)
            throws IOException {
        int maxTokens = request.maxTokens() == null ? 64 : request.maxTokens();
        String text = models.complete(tenant.current(), id, request.prompt(), maxTokens,
                request.temperature() == null ? 1f : request.temperature().floatValue(),
                request.seed() == null ? System.nanoTime() : request.seed());
        return new Completion("text_completion", id, List.of(new Choice(0, text, null)));
    }

    @PostMapping("/{model_id}/predictions")
    Prediction predict(@PathVariable("model_id") String id, @Valid @RequestBody PredictionRequest request)
            throws IOException {
        List<Score> scores = models.predict(tenant.current(), id, request.text()).entrySet().stream()
                .map(e -> new Score(e.getKey(), e.getValue()))
                .sorted(Comparator.comparingDouble(Score::probability).reversed())
                .toList();
        return new Prediction("prediction", id, scores.get(0).label(), scores);
    }
}
