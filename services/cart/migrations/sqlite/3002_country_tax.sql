-- Tax rates per country of a region, `CC:basis points` separated by spaces (for example
-- `DE:1900 NL:2100`); a country without one pays the region's `tax_rate_bp`. The
-- default EU region gets its countries' standard rates. Kept in step with
-- ../postgres/3002_country_tax.sql.
ALTER TABLE regions ADD COLUMN tax_rates TEXT NOT NULL DEFAULT '';
UPDATE regions
   SET tax_rates = 'DE:1900 FR:2000 NL:2100 BE:2100 AT:2000 IT:2200 ES:2100 IE:2300 PT:2300 FI:2550'
 WHERE id = 'reg_eu' AND tax_rates = '';
