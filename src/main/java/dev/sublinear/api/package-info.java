/**
 * The HTTP edge: OpenAI-shaped files, fine-tuning jobs, events (also as Server-Sent Events),
 * metrics, checkpoints, models and workers. Thin controllers over the job service; every error is
 * RFC 9457 problem+json. Never sees DJL.
 */
package dev.sublinear.api;
