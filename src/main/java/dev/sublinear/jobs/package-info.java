/**
 * The fine-tuning job itself: a request becomes a job with stored settings, its status machine,
 * events, metrics, checkpoints and results. The features it builds on sit in sub-packages
 * ({@code common}, {@code tenants}, {@code files}, {@code models}, {@code workers}); claims, leases and
 * a worker's view of one attempt sit above it in {@code queue}. Depends on the training layer and
 * storage; never on the API or the worker.
 */
package dev.sublinear.jobs;
