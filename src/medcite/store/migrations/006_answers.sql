-- Composed answers, kept so that a follow-up question can refer to the one before it and so
-- that an answer can later be saved as an article. The answer itself is its JSON (the schema
-- of docs/answer-schema.md); the columns beside it are what lookups need.

CREATE TABLE answers (
    id           TEXT PRIMARY KEY,
    question     TEXT NOT NULL,
    audience     TEXT NOT NULL,
    follow_up_of TEXT REFERENCES answers(id) ON DELETE SET NULL,
    abstained    INTEGER NOT NULL,
    json         TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX answers_follow_up_of ON answers(follow_up_of);

-- Glosses look definitions up by topic name.
CREATE INDEX documents_focus_nocase ON documents(focus COLLATE NOCASE);
