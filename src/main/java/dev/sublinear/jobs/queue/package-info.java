/**
 * Claims, leases and the reaper of expired leases: which worker holds which job, and every write a
 * worker makes to a job it holds, fenced by (worker, attempt).
 */
package dev.sublinear.jobs.queue;
