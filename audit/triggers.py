"""Database triggers that make the audit table append-only.

SQLite and PostgreSQL refuse any UPDATE or DELETE of an audit entry, whoever issues it
(the ORM, raw SQL, the Wagtail admin). Someone with the rights to drop the trigger can
still tamper with the table: that is what the hash chain (``manage.py verify_audit_log``)
and the exported copies are for.
"""

TABLE = "audit_auditentry"
MESSAGE = "audit log is append-only"

SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
]

# Row triggers only: Django's test flush (TRUNCATE) stays possible for whoever owns the
# table, which the application role in production should not (see docs/security.md).
POSTGRESQL_INSTALL = [
    "CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$",
    f"CREATE OR REPLACE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()",
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_entry_no_change ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_entry_refuse_change()",
]


def _statements(connection, install):
    if connection.vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if connection.vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    return []


def install(connection):
    with connection.cursor() as cursor:
        for sql in _statements(connection, True):
            cursor.execute(sql)


def remove(connection):
    with connection.cursor() as cursor:
        for sql in _statements(connection, False):
            cursor.execute(sql)
