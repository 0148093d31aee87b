/**
 * Registered workers and their heartbeats, through {@link dev.sublinear.jobs.workers.WorkerRegistry};
 * the table behind it is package-private.
 */
package dev.sublinear.jobs.workers;
