-- The store's first schema. Never edit this file once released: add a new migration instead.
-- Digests are stored as text `sha256:<64 lowercase hex>`; times as ISO-8601 UTC text.

-- One row per package name. A name belongs to one kind for as long as it has versions.
CREATE TABLE packages (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('bank', 'backbone')),
    created_at  TEXT NOT NULL
);

-- One row per published, immutable version.
CREATE TABLE versions (
    id              INTEGER PRIMARY KEY,
    package_id      INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version         TEXT NOT NULL,
    content_digest  TEXT NOT NULL UNIQUE,
    manifest_json   TEXT NOT NULL,
    -- Banks only: the backbone version they are bound to. RESTRICT keeps a backbone that
    -- banks need from being deleted even if the code's own check were bypassed.
    backbone_digest TEXT REFERENCES versions (content_digest) ON DELETE RESTRICT,
    byte_size       INTEGER NOT NULL CHECK (byte_size >= 0),
    created_at      TEXT NOT NULL,
    UNIQUE (package_id, version)
);
CREATE INDEX versions_backbone ON versions (backbone_digest);

-- The tensors of a version; the bytes live in blobs/sha256/<2 hex>/<64 hex>.
CREATE TABLE version_tensors (
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    dtype       TEXT NOT NULL,
    shape       TEXT NOT NULL,   -- JSON array of dimensions, e.g. [8,8,3,3]
    blob_digest TEXT NOT NULL,
    byte_size   INTEGER NOT NULL CHECK (byte_size >= 0),
    PRIMARY KEY (version_id, name)
) WITHOUT ROWID;
CREATE INDEX version_tensors_blob ON version_tensors (blob_digest);

-- Named pointers to versions of the same package. `latest` is maintained by the store.
CREATE TABLE tags (
    package_id  INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (package_id, tag)
) WITHOUT ROWID;

-- Preview images of a version applied to a reference photo, per level or combined.
CREATE TABLE thumbnails (
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    reference   TEXT NOT NULL,
    level       TEXT NOT NULL,
    blob_digest TEXT NOT NULL,
    stats_json  TEXT NOT NULL,
    PRIMARY KEY (version_id, reference, level)
) WITHOUT ROWID;
CREATE INDEX thumbnails_blob ON thumbnails (blob_digest);

-- What happened, append-only.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('publish', 'tag', 'rm', 'gc')),
    subject     TEXT NOT NULL,
    detail_json TEXT NOT NULL
);

-- A single row whose counter grows with every write transaction, so another process can
-- notice a change with one cheap read. Every write transaction appends to audit_log, so a
-- trigger there bumps it and no code path can forget to.
CREATE TABLE store_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    change_counter INTEGER NOT NULL
);
INSERT INTO store_state (id, change_counter) VALUES (1, 0);

CREATE TRIGGER audit_log_bumps_counter AFTER INSERT ON audit_log
BEGIN
    UPDATE store_state SET change_counter = change_counter + 1 WHERE id = 1;
END;
