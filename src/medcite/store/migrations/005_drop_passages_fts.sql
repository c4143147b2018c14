-- The FTS5 table of migration 002 was superseded by the tantivy keyword index (migration 003's
-- bookkeeping); its triggers only slowed every passage write.

DROP TRIGGER IF EXISTS passages_fts_ai;
DROP TRIGGER IF EXISTS passages_fts_ad;
DROP TRIGGER IF EXISTS passages_fts_au;
DROP TABLE IF EXISTS passages_fts;
