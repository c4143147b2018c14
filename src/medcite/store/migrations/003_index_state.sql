-- Bookkeeping for search indexes built outside SQLite (keyword, dense): what each has seen.

CREATE TABLE index_state (
    name            TEXT PRIMARY KEY,       -- "keyword", "dense"
    last_passage_id INTEGER NOT NULL DEFAULT 0,  -- passages with a larger id are not indexed yet
    last_tombstone  INTEGER NOT NULL DEFAULT 0,  -- tombstones up to this seq are applied
    passages        INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    meta            TEXT NOT NULL DEFAULT '{}'
);

-- Passages deleted (their document was updated or removed): each index drops these ids and
-- remembers the last seq it applied. Rows every index has applied can be pruned.
CREATE TABLE passage_tombstones (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id  INTEGER NOT NULL
);
CREATE TRIGGER passages_tombstone AFTER DELETE ON passages BEGIN
    INSERT INTO passage_tombstones(passage_id) VALUES (old.id);
END;
