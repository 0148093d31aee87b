/**
 * Tenants, their API keys and their limits. {@link dev.sublinear.jobs.tenants.Tenants} is the only
 * door; the table behind it is package-private.
 */
package dev.sublinear.jobs.tenants;
