/**
 * The layer a worker runs for a job: tokenizer, datasets and their validation, the model catalog
 * (a decoder-only Transformer LM and a classifier built from DJL blocks), training runs with
 * checkpoints, resume, cancel and pause, and inference. Plain DJL, no Spring: usable as a library.
 */
package dev.sublinear.training;
