/**
 * Fine-tuned models and inference on them, through {@link dev.sublinear.jobs.models.ModelService};
 * the table behind it is package-private.
 */
package dev.sublinear.jobs.models;
