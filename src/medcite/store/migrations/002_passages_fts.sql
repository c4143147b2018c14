-- Full-text index over passages (section heading + text), kept in step by triggers.
-- A first keyword search for `medcite search` and the demo; later indexes may add to it.

CREATE VIRTUAL TABLE passages_fts USING fts5(
    section, text,
    content='passages', content_rowid='id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER passages_fts_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, section, text) VALUES (new.id, coalesce(new.section, ''), new.text);
END;
CREATE TRIGGER passages_fts_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, section, text)
    VALUES ('delete', old.id, coalesce(old.section, ''), old.text);
END;
CREATE TRIGGER passages_fts_au AFTER UPDATE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, section, text)
    VALUES ('delete', old.id, coalesce(old.section, ''), old.text);
    INSERT INTO passages_fts(rowid, section, text) VALUES (new.id, coalesce(new.section, ''), new.text);
END;
