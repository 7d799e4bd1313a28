"""Keys belong to people; server-side console sessions.

Every API key now either belongs to a user (``kind = 'user'``, ``user_id`` set) or is a system
integration (``kind = 'integration'``, no user), which may enter orders but never approve. Existing
keys, all without a user so far, are given to their tenant's first enabled owner; a tenant without
one keeps its keys as integrations. Nothing stops working that worked: a key keeps its hash and its
role (an owner's keys can never exceed the owner), and its old timeline rows (``key:<id>``) still
count as that person's for four-eyes.

``console_sessions`` holds the console's signed-in sessions: the cookie carries a random token and
only its SHA-256 is stored. The token names no tenant, so the lookup runs in the ``authenticate``
system path, like the API-key lookup.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations import grant_sql, rls_sql, sql_migration

ID = "2026-12-05T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "api keys belong to users or are integrations; console sessions"

# Separate so that tests can run the backfill against legacy-shaped tables.
KEY_OWNERS_SQL = """
-- The backfill reads every tenant's rows: lift FORCE for the owner running this migration only,
-- inside this transaction (a superuser bypasses RLS anyway), and put it back below.
ALTER TABLE api_keys NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;

ALTER TABLE api_keys ADD COLUMN kind text NOT NULL DEFAULT 'integration';
UPDATE api_keys k SET user_id = (
    SELECT u.id FROM users u
    WHERE u.tenant_id = k.tenant_id AND u.role = 'owner' AND u.disabled_at IS NULL
    ORDER BY u.created_at, u.id
    LIMIT 1
)
WHERE k.user_id IS NULL;
UPDATE api_keys SET kind = 'user' WHERE user_id IS NOT NULL;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_kind CHECK (kind IN ('user', 'integration'));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_kind_person CHECK ((kind = 'user') = (user_id IS NOT NULL));
CREATE INDEX api_keys_person ON api_keys (tenant_id, user_id) WHERE user_id IS NOT NULL;

ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
"""

SESSIONS_SQL = f"""
CREATE TABLE console_sessions (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    csrf_token text NOT NULL,
    flash jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('logout', 'password', 'disabled')),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
-- The cookie's token names no tenant: the lookup finds the session by its hash alone.
CREATE INDEX console_sessions_token_hash ON console_sessions (token_hash);
CREATE INDEX console_sessions_live ON console_sessions (tenant_id, user_id) WHERE revoked_at IS NULL;
{rls_sql("console_sessions", system_paths={"authenticate": "SELECT"})}
{grant_sql("console_sessions")}
"""


SQL = KEY_OWNERS_SQL + SESSIONS_SQL


async def forwards() -> MigrationManager:
    return sql_migration(ID, "tenants", DESCRIPTION, SQL)
