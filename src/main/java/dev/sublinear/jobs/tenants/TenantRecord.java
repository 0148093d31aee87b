package dev.sublinear.jobs.tenants;

/** A tenant: the owner of files, jobs, checkpoints and models, with its limit overrides. */
public record TenantRecord(String id, String name, TenantLimits.Overrides overrides, long createdAt) {}
