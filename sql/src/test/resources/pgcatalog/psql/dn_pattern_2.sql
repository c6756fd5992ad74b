-- psql 15.20 (Debian 15.20-0+deb12u1), printed by psql -E for: \dn pub* (query 2 of 2)
SELECT pubname 
FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
     JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid 
WHERE n.nspname = 'pub*'
ORDER BY 1