"""PostgreSQL: run the app as a role that cannot rewrite the audit trail.

The role that runs `segmenta migrate` owns the tables, and an owner may drop or disable any
trigger. So the app connects as a second role that owns nothing: it may read and write every
table, but on the audit trail only SELECT and INSERT, so it can neither change nor delete an
event, nor drop, disable or replace the triggers that refuse it. Default privileges give it
the same rights on tables later migrations create; run the grant again after a migration
that adds one all the same, since an owner that changed could leave one out.
"""

AUDIT_TABLE = "audit_auditevent"
# The sealed blocks are part of the trail: the app appends them and never changes them.
BLOCK_TABLE = "audit_auditblock"


class BadRole(ValueError):
    """The role cannot be made the app's role (its name says why)."""


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


def _ownership(cursor, role):
    """(owns the audit table, owns its schema, the schema's name) for ``role``, membership in
    the owner counting as owning; (None, None, None) when there is no audit table yet."""
    # A schema's owner may drop any table in it, so the app role may own neither.
    cursor.execute("SELECT pg_has_role(%s, t.tableowner, 'USAGE'), pg_has_role(%s, n.nspowner, 'USAGE'), "
                   "n.nspname FROM pg_tables t JOIN pg_namespace n ON n.nspname = t.schemaname "
                   "WHERE t.tablename = %s AND t.schemaname = current_schema()", [role, role, AUDIT_TABLE])
    return cursor.fetchone() or (None, None, None)


def connected_role_problem(connection):
    """Why the role this connection runs as could rewrite the audit trail (None if it cannot,
    or on SQLite, which has no roles): a superuser, or an owner of the audit table or its
    schema. The deploy check reports it; `grant-app-role` sets up a role without it."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        role, superuser = cursor.fetchone()
        if superuser:
            return f"the database role {role} is a superuser"
        owns_table, owns_schema, schema = _ownership(cursor, role)
    if owns_table:
        return f"the database role {role} owns the audit table {AUDIT_TABLE} (or is a member of its owner)"
    if owns_schema:
        return f"the database role {role} owns the schema {schema} of the audit table (or is a member of its owner)"
    return None


def grant_app_role(connection, role):
    """Grant ``role`` what the app needs; refuse a role that could undo the guard anyway."""
    if connection.vendor != "postgresql":
        raise BadRole("grant-app-role: needs PostgreSQL (SQLite has no roles; its file's owner can do anything)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise BadRole(f"role {role}: no such PostgreSQL role (create it first: CREATE ROLE … LOGIN)")
        if found[0]:
            raise BadRole(f"role {role}: a superuser may do anything; the app role must be an ordinary role")
        owns_table, owns_schema, schema = _ownership(cursor, role)
        if owns_table is None:
            raise BadRole(f"{AUDIT_TABLE}: not found; run `segmenta migrate` as the owner first")
        if owns_table or owns_schema:
            raise BadRole(f"role {role}: owns the audit table or its schema {schema} (or is a member of their "
                          f"owner) and could drop its triggers; the app role must own neither")
        who, where = _quote(role), _quote(schema)
        for statement in (
            f"GRANT USAGE ON SCHEMA {where} TO {who}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
            f"REVOKE ALL ON {AUDIT_TABLE}, {BLOCK_TABLE} FROM {who}",
            f"GRANT SELECT, INSERT ON {AUDIT_TABLE}, {BLOCK_TABLE} TO {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT USAGE, SELECT ON SEQUENCES TO {who}",
        ):
            cursor.execute(statement)
