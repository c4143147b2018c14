-- Dense vectors of passages, one row per (passage, model). Deleting a passage (its document was
-- updated) deletes its vectors, so the dense index never holds stale passages.

CREATE TABLE passage_vectors (
    passage_id  INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    vector      BLOB NOT NULL,              -- float16, little-endian, unit length
    PRIMARY KEY (passage_id, model)
) WITHOUT ROWID;
CREATE INDEX passage_vectors_model ON passage_vectors(model, passage_id);
