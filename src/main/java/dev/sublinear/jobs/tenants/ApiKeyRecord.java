package dev.sublinear.jobs.tenants;

/**
 * An API key as stored: never the key itself, only its SHA-256 and its last characters as a hint.
 *
 * @param admin whether it may use the admin endpoints
 * @param revokedAt epoch milliseconds, or null while it works
 */
public record ApiKeyRecord(
        String id, String tenantId, String name, String hint, boolean admin, long createdAt, Long revokedAt) {}
