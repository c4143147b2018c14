-- PostgreSQL: composed answers, as SQLite's 006_answers.sql (same columns; the answer is its
-- JSON as text; times are ISO-8601 text), so that a follow-up question can refer to the answer
-- before it and an answer can be saved as an article, whichever server composed it.

CREATE TABLE answers (
    id           TEXT PRIMARY KEY,
    question     TEXT NOT NULL,
    audience     TEXT NOT NULL,
    follow_up_of TEXT REFERENCES answers(id) ON DELETE SET NULL,
    abstained    INTEGER NOT NULL,
    json         TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT medcite_now()
);
CREATE INDEX answers_follow_up_of ON answers(follow_up_of);
