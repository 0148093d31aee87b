/**
 * The job service's domain: files, jobs and their status machine, events, metrics, checkpoints,
 * fine-tuned models and workers, kept in a JDBC store (H2 or PostgreSQL) and the artifact store.
 * Claims and leases live in {@link dev.sublinear.jobs.JobQueue}. Depends on the training layer and
 * storage; never on the API or the worker.
 */
package dev.sublinear.jobs;
