-- Tenants, their API keys (stored as SHA-256 hashes) and their limits (null: the configured default).

CREATE TABLE tenants (
    id                  VARCHAR(64)  PRIMARY KEY,
    name                VARCHAR(200) NOT NULL,
    max_running_jobs    INT,
    max_queued_jobs     INT,
    max_gpus            INT,
    max_storage_bytes   BIGINT,
    requests_per_second INT,
    max_upload_bytes    BIGINT,
    max_upload_lines    INT,
    created_at          BIGINT       NOT NULL
);

CREATE TABLE api_keys (
    id           VARCHAR(64)  PRIMARY KEY,
    tenant_id    VARCHAR(64)  NOT NULL REFERENCES tenants (id),
    name         VARCHAR(200) NOT NULL,
    hint         VARCHAR(16)  NOT NULL,
    key_hash     VARCHAR(64)  NOT NULL UNIQUE,
    admin        BOOLEAN      NOT NULL,
    created_at   BIGINT       NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id);

-- every existing row belongs to the built-in tenant
INSERT INTO tenants (id, name, created_at) VALUES ('default', 'Default tenant', 0);
