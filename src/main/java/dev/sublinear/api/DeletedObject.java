package dev.sublinear.api;

import io.swagger.v3.oas.annotations.media.Schema;

/** The answer to a delete. */
@Schema(
        description = "What was deleted.",
        example = "{\"id\": \"file-abc123\", \"object\": \"file\", \"deleted\": true}")
public record DeletedObject(String id, String object, boolean deleted) {}
