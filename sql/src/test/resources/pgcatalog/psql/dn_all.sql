-- psql 15.20 (Debian 15.20-0+deb12u1), printed by psql -E for: \dn * (query 1 of 2)
SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
ORDER BY 1;