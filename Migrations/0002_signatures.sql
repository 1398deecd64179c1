-- Signatures over content digests and the keys the store trusts (docs/remote.md, "Signatures").
-- Never edit this file once released: add a new migration instead.

-- Ed25519 signatures of a version's content digest, as received (each verified before it is
-- stored). One per (digest, key): Ed25519 signatures are deterministic. They go with their
-- version when it is removed.
CREATE TABLE signatures (
    id             INTEGER PRIMARY KEY,
    content_digest TEXT NOT NULL REFERENCES versions (content_digest) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,   -- ed25519:<32 hex>
    public_key     TEXT NOT NULL,   -- base64 of the raw 32-byte public key
    signature      TEXT NOT NULL,   -- base64 of the 64-byte signature
    created_at     TEXT NOT NULL,
    UNIQUE (content_digest, key_id)
);
CREATE INDEX signatures_key ON signatures (key_id);

-- Public keys recorded with `trust`: a signature counts for the policy only by one of these.
CREATE TABLE trusted_keys (
    key_id     TEXT PRIMARY KEY,    -- ed25519:<32 hex>
    public_key TEXT NOT NULL,       -- base64 of the raw 32-byte public key
    label      TEXT,                -- a name for people (`trust --label`), optional
    added_at   TEXT NOT NULL
) WITHOUT ROWID;

-- audit_log gains the actions `sign`, `trust` and `untrust`. SQLite cannot change a CHECK
-- constraint in place, so the table is rebuilt with its rows and ids, and its trigger
-- recreated (dropping the table dropped it).
CREATE TABLE audit_log_v2 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    action      TEXT NOT NULL
                CHECK (action IN ('publish', 'tag', 'rm', 'gc', 'sign', 'trust', 'untrust')),
    subject     TEXT NOT NULL,
    detail_json TEXT NOT NULL
);
INSERT INTO audit_log_v2 (id, at, action, subject, detail_json)
    SELECT id, at, action, subject, detail_json FROM audit_log ORDER BY id;
DROP TABLE audit_log;
ALTER TABLE audit_log_v2 RENAME TO audit_log;

CREATE TRIGGER audit_log_bumps_counter AFTER INSERT ON audit_log
BEGIN
    UPDATE store_state SET change_counter = change_counter + 1 WHERE id = 1;
END;
