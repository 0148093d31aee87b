-- One row that the readiness probe rewrites: a database that cannot write (a full disk) is DOWN.

CREATE TABLE write_probe (
    id         INT    PRIMARY KEY,
    written_at BIGINT NOT NULL
);

INSERT INTO write_probe (id, written_at) VALUES (1, 0);
