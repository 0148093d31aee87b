package dev.sublinear.jobs.models;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Inference on the API process ({@code /v1/completions}, {@code /v1/chat/completions}, {@code
 * /v1/models/{id}/completions} and {@code /predictions}), under {@code sublinear.inference.*}.
 * Inference runs on its own threads, never on the web server's: a request past a limit is refused
 * at once with 429 and {@code Retry-After} rather than queued, so a burst of long generations cannot
 * hold the threads that health checks and other tenants need.
 *
 * @param maxConcurrent generations and predictions running at once in this API process, all tenants
 *     together (each uses the CPU fully for its length: more than a few only slows them all)
 * @param maxConcurrentPerTenant of those, how many one tenant may run at once, so that one tenant
 *     cannot take them all
 * @param timeout the longest one generation may run; past it the generation stops and the request
 *     is answered 503 ({@code generation_timeout}). The prompt and the tokens asked for must fit the
 *     model's context, so each token costs at most one forward pass over the context: this bounds a
 *     request's work
 * @param modelCacheBytes the memory loaded models may take together (their parameters' bytes): a
 *     model that does not fit evicts the least recently used models not in use; a model larger than
 *     this is refused (507). Each loaded model is shared by the generations that use it
 * @param maxTokensPerRequest the most tokens one OpenAI-compatible request may ask for, {@code n}
 *     times {@code max_tokens} for each prompt, so that one request cannot hold a slot for long
 */
@Validated
@ConfigurationProperties("sublinear.inference")
public record InferenceProperties(
        @Min(1) @Max(1024) @DefaultValue("4") int maxConcurrent,
        @Min(1) @Max(1024) @DefaultValue("2") int maxConcurrentPerTenant,
        @NotNull @DefaultValue("120s") Duration timeout,
        @NotNull @DefaultValue("4GB") DataSize modelCacheBytes,
        @Min(1) @DefaultValue("8192") int maxTokensPerRequest) {}
