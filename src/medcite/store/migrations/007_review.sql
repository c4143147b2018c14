-- The editorial side: users and their credentials, articles with immutable approved versions,
-- and an append-only audit log of every review transition.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,   -- login name
    display_name  TEXT NOT NULL,                         -- shown as "reviewed by"
    role          TEXT NOT NULL CHECK (role IN ('reader','editor','reviewer','admin')),
    password_hash TEXT,                                  -- scrypt; NULL: token-only account
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- API tokens: only a SHA-256 of the secret is kept; `prefix` lets people tell tokens apart.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    last_used_at TEXT,
    revoked_at   TEXT
);

-- Browser sessions: the cookie holds the secret, the table its SHA-256 and the CSRF token.
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    expires_at  TEXT NOT NULL
);

CREATE TABLE articles (
    id                TEXT PRIMARY KEY,
    title             TEXT NOT NULL,
    question          TEXT NOT NULL,
    audience          TEXT NOT NULL,
    focus             TEXT,
    category          TEXT,
    status            TEXT NOT NULL CHECK (status IN
                      ('draft','submitted','under_review','changes_requested','approved')),
    current_version   INTEGER NOT NULL,
    published_version INTEGER,              -- the newest approved version (what readers see)
    created_by        INTEGER REFERENCES users(id),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    last_reviewed_at  TEXT,
    last_reviewed_by  INTEGER REFERENCES users(id)
);
CREATE INDEX articles_status ON articles(status);
CREATE INDEX articles_category ON articles(category);

CREATE TABLE article_versions (
    article_id   TEXT NOT NULL REFERENCES articles(id),
    version      INTEGER NOT NULL,
    title        TEXT NOT NULL,
    answer_json  TEXT NOT NULL,
    content_hash TEXT NOT NULL,             -- sha256 of title + answer: the audit log cites it
    answer_id    TEXT,                      -- the composed answer it started from
    edit_note    TEXT,
    created_by   INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    approved     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, version)
);

-- Approved versions are immutable: no change to their content, no un-approving, no delete.
CREATE TRIGGER article_versions_frozen BEFORE UPDATE ON article_versions
WHEN OLD.approved = 1
BEGIN
    SELECT RAISE(ABORT, 'approved article versions are immutable');
END;
CREATE TRIGGER article_versions_kept BEFORE DELETE ON article_versions
WHEN OLD.approved = 1
BEGIN
    SELECT RAISE(ABORT, 'approved article versions are immutable');
END;

-- The audit log: one row per transition, never updated or deleted.
CREATE TABLE review_events (
    id           INTEGER PRIMARY KEY,
    article_id   TEXT NOT NULL REFERENCES articles(id),
    version      INTEGER NOT NULL,
    version_hash TEXT NOT NULL,
    actor_id     INTEGER REFERENCES users(id),
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    comment      TEXT,
    at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX review_events_article ON review_events(article_id, id);
CREATE TRIGGER review_events_append_only_update BEFORE UPDATE ON review_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER review_events_append_only_delete BEFORE DELETE ON review_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Reviewer comments on one section of one version, tied to the transition they came with.
CREATE TABLE review_comments (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES review_events(id),
    article_id  TEXT NOT NULL REFERENCES articles(id),
    version     INTEGER NOT NULL,
    section_key TEXT NOT NULL,
    comment     TEXT NOT NULL
);
CREATE INDEX review_comments_article ON review_comments(article_id, version);
CREATE TRIGGER review_comments_append_only_update BEFORE UPDATE ON review_comments
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER review_comments_append_only_delete BEFORE DELETE ON review_comments
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- "A newer source on their topic": new documents are looked up by focus and creation time.
CREATE INDEX documents_created_at ON documents(created_at);
