/**
 * Weights in the safetensors format: a streaming reader (one file, or shards through their index)
 * that widens F32, F16 and BF16 to float32 in Java, one tensor at a time, and a streaming writer that
 * narrows float32 to F32, F16 or BF16 and shards large models. Plain JDK and Gson; DJL only to hand
 * a tensor over as a float32 {@code NDArray}, never as BF16.
 */
package dev.sublinear.training.weights;
