-- Documents, their passages, and the bookkeeping that makes ingest resumable.

CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    source         TEXT NOT NULL,            -- collection: medquad, ngc, pubmedqa, pubmed, local...
    source_id      TEXT NOT NULL,            -- unique within source
    title          TEXT NOT NULL,
    url            TEXT,
    doc_type       TEXT NOT NULL CHECK (doc_type IN
                   ('guideline','systematic_review','rct','research','consumer','reference')),
    evidence_level INTEGER NOT NULL CHECK (evidence_level BETWEEN 1 AND 5),
    year           INTEGER,
    organisation   TEXT,
    journal        TEXT,
    licence        TEXT,
    language       TEXT NOT NULL DEFAULT 'en',
    focus          TEXT,
    synonyms       TEXT NOT NULL DEFAULT '[]',   -- JSON list
    mesh_terms     TEXT NOT NULL DEFAULT '[]',   -- JSON list
    cuis           TEXT NOT NULL DEFAULT '[]',   -- JSON list
    meta           TEXT NOT NULL DEFAULT '{}',   -- JSON object
    body           TEXT NOT NULL,                -- passages are spans of this text
    content_hash   TEXT NOT NULL,                -- sha256(title, body): duplicate detection
    record_hash    TEXT NOT NULL,                -- sha256(everything loaded): change detection
    file_path      TEXT,
    run_id         INTEGER REFERENCES ingest_runs(id),
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (source, source_id)
);
CREATE INDEX documents_content_hash ON documents(content_hash);
CREATE INDEX documents_doc_type ON documents(doc_type);

CREATE TABLE passages (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord          INTEGER NOT NULL,
    section      TEXT,
    text         TEXT NOT NULL,
    char_start   INTEGER NOT NULL,
    char_end     INTEGER NOT NULL,
    meta         TEXT NOT NULL DEFAULT '{}',
    UNIQUE (document_id, ord),
    CHECK (char_end >= char_start)
);

CREATE TABLE ingest_runs (
    id           INTEGER PRIMARY KEY,
    started_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    finished_at  TEXT,
    status       TEXT NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running','completed','completed_with_errors','failed','interrupted')),
    args         TEXT NOT NULL DEFAULT '{}',
    stats        TEXT NOT NULL DEFAULT '{}'
);

-- Files fully ingested (all their documents committed): a re-run skips them
-- unless their size or modification time changed.
CREATE TABLE ingest_files (
    path         TEXT PRIMARY KEY,
    fingerprint  TEXT NOT NULL,
    format       TEXT NOT NULL,
    documents    INTEGER NOT NULL,
    run_id       INTEGER REFERENCES ingest_runs(id),
    finished_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE ingest_errors (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER REFERENCES ingest_runs(id),
    path         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
