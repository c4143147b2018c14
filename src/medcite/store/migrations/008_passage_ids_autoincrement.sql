-- Passage ids are never handed out twice. Without AUTOINCREMENT, SQLite gave the passages of an
-- updated newest document the ids just deleted, and the keyword index (which adds passages above
-- the last id it saw, and drops tombstoned ids) never indexed them. The table is rebuilt with
-- AUTOINCREMENT, keeping every id.
--
-- The store runs with foreign keys on, and dropping `passages` would then cascade to
-- `passage_vectors`: the vectors are kept aside in a table without constraints meanwhile. The
-- drop fires no triggers, so no tombstones are written.

CREATE TABLE passages_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO passages_rebuilt(id, document_id, ord, section, text, char_start, char_end, meta)
    SELECT id, document_id, ord, section, text, char_start, char_end, meta FROM passages ORDER BY id;

CREATE TABLE passage_vectors_kept AS SELECT passage_id, model, vector FROM passage_vectors;
DROP TABLE passage_vectors;
DROP TABLE passages;
ALTER TABLE passages_rebuilt RENAME TO passages;

CREATE TABLE passage_vectors (
    passage_id  INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    vector      BLOB NOT NULL,              -- float16, little-endian, unit length
    PRIMARY KEY (passage_id, model)
) WITHOUT ROWID;
CREATE INDEX passage_vectors_model ON passage_vectors(model, passage_id);
INSERT INTO passage_vectors(passage_id, model, vector)
    SELECT passage_id, model, vector FROM passage_vectors_kept;
DROP TABLE passage_vectors_kept;

CREATE TRIGGER passages_tombstone AFTER DELETE ON passages BEGIN
    INSERT INTO passage_tombstones(passage_id) VALUES (old.id);
END;

-- Ids already handed out and deleted since (tombstones not yet pruned, or seen by an index)
-- stay retired too: the counter starts above every id any index may know.
DELETE FROM sqlite_sequence WHERE name = 'passages';
INSERT INTO sqlite_sequence(name, seq) SELECT 'passages', max(
    (SELECT coalesce(max(id), 0) FROM passages),
    (SELECT coalesce(max(passage_id), 0) FROM passage_tombstones),
    (SELECT coalesce(max(last_passage_id), 0) FROM index_state)
);
