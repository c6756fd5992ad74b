-- psql 15.20 (Debian 15.20-0+deb12u1), printed by psql -E for: \d accounts (query 8 of 9)
-- oid: 16388 (the table's oid in the server the text was captured from)
SELECT c.oid::pg_catalog.regclass
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhparent AND i.inhrelid = '16388'
  AND c.relkind != 'p' AND c.relkind != 'I'
ORDER BY inhseqno;