package dev.sublinear.jobs.models;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Base models the operator provides, under {@code sublinear.models.*}.
 *
 * @param dir a folder of Hugging Face model directories (each with its config.json, safetensors and
 *     tokenizer.json), for example a volume of pre-downloaded weights: each directory is a base model
 *     named after it, listed for every tenant and read in place, never copied. Unset: none. API and
 *     worker processes must see the same folder at the same path.
 */
@Validated
@ConfigurationProperties("sublinear.models")
public record ModelsProperties(Path dir) {}
