-- queuepulse idempotent: decoding of Grafana template-variable values.
-- Dashboards never splice a variable's value into SQL: they send it percent-encoded inside a
-- string literal ('${var:percentencode}', whose characters are only A-Z a-z 0-9 - _ . ~ %),
-- and these functions decode it. No value can end the literal or change the statement; a value
-- that is not what the query expects fails its cast (e.g. invalid input syntax for numeric).

-- The text of one percent-encoded value ('' stays ''); bad escapes raise invalid_parameter_value.
CREATE OR REPLACE FUNCTION grafana_value(p_encoded text)
RETURNS text
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT coalesce(convert_from(string_agg(
               CASE WHEN r.m[1] IS NOT NULL  -- '%XX'; a cut-off '%' or '%X' fails the decode
                    THEN decode(CASE WHEN length(r.m[1]) = 3 THEN substr(r.m[1], 2) ELSE r.m[1] END,
                                'hex')
                    ELSE convert_to(r.m[2], 'UTF8') END,
               ''::bytea ORDER BY r.n), 'UTF8'), '')
    FROM regexp_matches(p_encoded, '(%.{0,2})|([^%]+)', 'g') WITH ORDINALITY AS r(m, n)
$$;

-- The values of a multi-value selection: Grafana encodes a list as '{a,b}' (values split at
-- commas), a single value as itself.
CREATE OR REPLACE FUNCTION grafana_values(p_encoded text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
    SELECT CASE WHEN d.v LIKE '{%}' THEN string_to_array(substr(d.v, 2, length(d.v) - 2), ',')
                ELSE ARRAY[d.v] END
    FROM (SELECT grafana_value(p_encoded) AS v) AS d
$$;

COMMENT ON FUNCTION grafana_value(text) IS
    'Grafana dashboards: the text of a template variable sent as ''${var:percentencode}'' '
    '(percent-decoded, UTF-8). Panels use it so no variable value can change a query.';
COMMENT ON FUNCTION grafana_values(text) IS
    'Grafana dashboards: the selected values (text[]) of a multi-value template variable sent '
    'as ''${var:percentencode}'' ({a,b} for several values); used as col = ANY(...).';
