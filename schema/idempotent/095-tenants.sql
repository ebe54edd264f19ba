-- queuepulse idempotent: tenants, i.e. log-ins that see only their own PBXs' rows.
-- Runs after 090-grants.sql on every upgrade, so relations created before it are covered.
--
-- A tenant is a LOGIN role in the group queuepulse_tenant (not queuepulse_reader) with rows in
-- queuepulse_tenant.tenant_pbx naming its PBXs (`queuepulse db login-role NAME --member-of
-- reader --pbx A,B` writes both). The database enforces the split:
--   * every public table with a pbx_id column has row-level security with the policy
--     queuepulse_tenant_pbx: the rows a tenant's query reads are those of its PBXs (decided by
--     current_user, which a view does not change); every other role (the writer, readers,
--     Grafana) is not restricted. Public views are security_invoker (PostgreSQL 15), so a
--     view reads its tables with the querying role's rights and policies, not its owner's;
--   * a tenant has no privilege on any public relation. It reads the views of the schema
--     queuepulse_tenant, first in its search_path, so its SQL names the same relations
--     (`SELECT ... FROM queue_calls`): one view per public relation with a pbx_id, owned by
--     the NOLOGIN role queuepulse_tenant_views (not an owner of the tables, so their policies
--     apply to what it reads), filtering on the tenant's PBXs once more — which also covers
--     relations that cannot carry row-level security (continuous aggregates, materialized
--     views, hypertables with compression on the Timescale-licensed build);
--   * TimescaleDB gives each chunk its hypertable's grants but not its policies: as tenants
--     hold no grant on a hypertable, they hold none on its chunks either;
--   * SELECT is all a tenant holds: it cannot write anywhere.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queuepulse_tenant') THEN
        CREATE ROLE queuepulse_tenant NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queuepulse_tenant_views') THEN
        CREATE ROLE queuepulse_tenant_views NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE queuepulse_tenant IS
    'queuepulse tenants: read-only, each log-in sees only the rows of its PBXs';
COMMENT ON ROLE queuepulse_tenant_views IS
    'owner of the views in schema queuepulse_tenant (subject to the tables'' policies)';

CREATE SCHEMA IF NOT EXISTS queuepulse_tenant;
COMMENT ON SCHEMA queuepulse_tenant IS
    'queuepulse tenants: which PBXs each tenant log-in sees, and the views it reads';

CREATE TABLE IF NOT EXISTS queuepulse_tenant.tenant_pbx (
    role_name name NOT NULL,
    pbx_id    text NOT NULL,
    PRIMARY KEY (role_name, pbx_id)
);
COMMENT ON TABLE queuepulse_tenant.tenant_pbx IS
    'The PBXs each tenant log-in sees (a plain table: a few rows per tenant, no time column). '
    'Each role reads only its own rows.';
COMMENT ON COLUMN queuepulse_tenant.tenant_pbx.role_name IS 'the tenant''s log-in role';
COMMENT ON COLUMN queuepulse_tenant.tenant_pbx.pbx_id IS 'a PBX (pbx_id) whose rows it sees';
ALTER TABLE queuepulse_tenant.tenant_pbx ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_rows ON queuepulse_tenant.tenant_pbx;
CREATE POLICY own_rows ON queuepulse_tenant.tenant_pbx FOR SELECT USING (role_name = current_user);
-- Every role evaluates the policies below, which read this table (its own rows, if any).
GRANT USAGE ON SCHEMA queuepulse_tenant TO PUBLIC;
GRANT SELECT ON queuepulse_tenant.tenant_pbx TO PUBLIC;

-- The PBXs the current role may see: NULL (no restriction) unless it is a tenant; a tenant
-- without PBXs gets an empty array (sees nothing). Not SECURITY DEFINER: current_user must
-- stay the querying role, also inside views that run with their owner's rights.
CREATE OR REPLACE FUNCTION queuepulse_tenant_pbx_ids() RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN NULL
        WHEN pg_has_role(current_user, 'queuepulse_tenant', 'MEMBER') THEN ARRAY(
            SELECT t.pbx_id FROM queuepulse_tenant.tenant_pbx t
            WHERE t.role_name = current_user ORDER BY t.pbx_id)
    END
$$;
COMMENT ON FUNCTION queuepulse_tenant_pbx_ids() IS
    'PBXs the current role may see: NULL = all (not a tenant), else the tenant''s pbx_ids';

DO $$
DECLARE
    rel record;
    -- (SELECT f()) is an init plan: evaluated once per query, not once per row.
    visible constant text := '(SELECT queuepulse_tenant_pbx_ids()) IS NULL '
        'OR pbx_id = ANY ((SELECT queuepulse_tenant_pbx_ids())::text[])';
    source text;
    protected boolean;  -- every row the view reads passes a row-level security policy
BEGIN
    -- Views read their tables as the querying role (continuous aggregates cannot).
    FOR rel IN
        SELECT c.oid::regclass AS name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'v'
          AND NOT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates a
                          WHERE a.view_schema = 'public' AND a.view_name = c.relname)
    LOOP
        EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', rel.name);
    END LOOP;

    -- Views of relations gone from public go too.
    FOR rel IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'queuepulse_tenant' AND c.relkind = 'v'
          AND to_regclass(format('public.%I', c.relname)) IS NULL
    LOOP
        EXECUTE format('DROP VIEW queuepulse_tenant.%I', rel.relname);
    END LOOP;

    FOR rel IN
        SELECT c.oid, c.oid::regclass AS name, c.relname, c.relkind,
               EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates a
                       WHERE a.view_schema = 'public' AND a.view_name = c.relname) AS cagg,
               EXISTS (SELECT 1 FROM timescaledb_information.hypertables h
                       WHERE h.hypertable_schema = 'public' AND h.hypertable_name = c.relname
                         AND h.compression_enabled) AS compressed
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'pbx_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm', 'v')
        -- tables ('p', 'r') before views ('v'); views in creation order, so a view that
        -- reads another comes after it
        ORDER BY c.relkind, c.oid
    LOOP
        protected := false;
        IF rel.relkind IN ('r', 'p') AND NOT rel.compressed THEN
            BEGIN
                EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', rel.name);
                EXECUTE format('DROP POLICY IF EXISTS queuepulse_tenant_pbx ON %s', rel.name);
                EXECUTE format('CREATE POLICY queuepulse_tenant_pbx ON %s USING (%s) '
                               'WITH CHECK (%s)', rel.name, visible, visible);
                protected := true;
            EXCEPTION WHEN feature_not_supported THEN
                -- e.g. TimescaleDB refusing RLS on a compressed hypertable: the view's
                -- filter below still holds
                RAISE NOTICE 'no row-level security on %: %', rel.name, SQLERRM;
            END;
        END IF;
        EXECUTE format('REVOKE ALL ON %s FROM queuepulse_tenant', rel.name);
        -- A plain view is rebuilt from its query: reading it from another view would check
        -- its (security_invoker) tables against the tenant, who holds no grant on them.
        source := CASE WHEN rel.relkind = 'v' AND NOT rel.cagg
                       THEN format('(%s)', rtrim(pg_get_viewdef(rel.oid), ';'))
                       ELSE rel.name::text END;
        IF rel.relkind <> 'v' OR rel.cagg THEN
            EXECUTE format('GRANT SELECT ON %s TO queuepulse_tenant_views', rel.name);
        ELSE  -- a plain view: protected when every relation it reads is
            SELECT coalesce(bool_and(d.relrowsecurity), false) INTO protected
            FROM pg_rewrite w
            JOIN pg_depend dep ON dep.classid = 'pg_rewrite'::regclass AND dep.objid = w.oid
                              AND dep.refclassid = 'pg_class'::regclass
            JOIN pg_class d ON d.oid = dep.refobjid
            WHERE w.ev_class = rel.oid AND d.oid <> rel.oid;
        END IF;
        EXECUTE format('DROP VIEW IF EXISTS queuepulse_tenant.%I CASCADE', rel.relname);
        -- A view read by the rebuilt query resolves to its tenant copy first (made earlier in
        -- this loop): the copy's owner may read it, the tenant may not read the public one.
        PERFORM set_config('search_path', 'queuepulse_tenant, public', true);
        -- security_barrier: the filter runs before any (possibly leaky) condition of the
        -- tenant's query. Not needed, and costly (conditions such as ts > now() - ... would no
        -- longer reach the indexes), where row-level security already filters first.
        EXECUTE format(
            'CREATE VIEW queuepulse_tenant.%I WITH (security_barrier = true) AS '
            'SELECT * FROM %s AS r WHERE r.pbx_id = ANY (coalesce((SELECT '
            'queuepulse_tenant_pbx_ids()), ARRAY[]::text[]))', rel.relname, source);
        PERFORM set_config('search_path', 'public', true);
        EXECUTE format('COMMENT ON VIEW queuepulse_tenant.%I IS %L', rel.relname,
                       format('%s: only the rows of the querying tenant''s PBXs', rel.relname));
        BEGIN
            EXECUTE format('ALTER VIEW queuepulse_tenant.%I OWNER TO queuepulse_tenant_views',
                           rel.relname);
            IF protected THEN  -- its owner is subject to the policies: they filter first
                EXECUTE format('ALTER VIEW queuepulse_tenant.%I SET (security_barrier = false)',
                               rel.relname);
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;  -- a migrating role that may not give it away: the barrier filter holds
        END;
        EXECUTE format('GRANT SELECT ON queuepulse_tenant.%I TO queuepulse_tenant',
                       rel.relname);
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO queuepulse_tenant;
GRANT EXECUTE ON FUNCTION queuepulse_tenant_pbx_ids() TO PUBLIC;
