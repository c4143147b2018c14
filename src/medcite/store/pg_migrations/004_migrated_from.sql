-- PostgreSQL: where `medcite migrate --to` copied this database from (an SQLite install), and
-- how far it got, so that an interrupted migration resumes where it stopped (each step commits
-- with its progress here) and a database filled by another source is never mixed into.

CREATE TABLE migrated_from (
    source        TEXT PRIMARY KEY,          -- identity of the SQLite store copied
    label         TEXT NOT NULL,             -- its path, for people
    tables_done   TEXT NOT NULL DEFAULT '[]',-- JSON list of tables copied whole
    last_document BIGINT NOT NULL DEFAULT 0, -- documents (and their passages) copied up to this id
    started_at    TEXT NOT NULL DEFAULT medcite_now(),
    finished_at   TEXT
);
