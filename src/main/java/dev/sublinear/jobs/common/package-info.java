/**
 * What every job feature shares: the errors the API turns into problem responses, keyset pages,
 * ids, local directories, the job service's settings, and the questions a lower feature asks of the
 * jobs above it ({@link dev.sublinear.jobs.common.JobReferences}). Depends on nothing else in
 * {@code jobs}.
 */
package dev.sublinear.jobs.common;
