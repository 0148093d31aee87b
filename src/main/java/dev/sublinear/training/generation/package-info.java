/**
 * Text generation and scoring with a loaded causal language model: a key/value cache so that each
 * new token costs one position, sampling (temperature, top-p, seed), stop sequences, log-probs with
 * the most likely alternatives, and text streamed as it becomes final.
 */
package dev.sublinear.training.generation;
