-- queuepulse idempotent: decoding of Grafana template-variable values.
-- Dashboards never splice a variable's value into SQL: they send it percent-encoded inside a
-- string literal ('${var:percentencode}', whose characters are only A-Z a-z 0-9 - _ . ~ %),
-- and these functions decode it. No value can end the literal or change the statement; a value
-- that is not what the query expects fails its cast (e.g. invalid input syntax for numeric).

-- The text of one percent-encoded value ('' stays ''); a bad escape raises
-- invalid_parameter_value. PL/pgSQL, so its one query is planned once per session.
CREATE OR REPLACE FUNCTION grafana_value(p_encoded text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
DECLARE
    decoded bytea;
BEGIN
    IF strpos(p_encoded, '%') = 0 THEN
        RETURN p_encoded;
    END IF;
    -- 'a%27b%2C' splits into 'a', '27b', '2C': each part after the first starts with two hex
    -- digits (a cut-off '%' or '%X' leaves fewer, and '%' is no hex digit: the decode fails)
    SELECT string_agg(
               CASE WHEN p.n = 1 THEN convert_to(p.part, 'UTF8')
                    ELSE decode(CASE WHEN length(p.part) >= 2 THEN left(p.part, 2) ELSE '%' END,
                                'hex')
                         || convert_to(substr(p.part, 3), 'UTF8') END,
               ''::bytea ORDER BY p.n)
      INTO decoded
      FROM unnest(string_to_array(p_encoded, '%')) WITH ORDINALITY AS p(part, n);
    RETURN convert_from(decoded, 'UTF8');
END
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
