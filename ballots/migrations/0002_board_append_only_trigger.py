"""Refuse UPDATE and DELETE of board rows and heads in PostgreSQL itself.

The application already refuses them (model and queryset guards); the
trigger also stops a stray SQL statement.  TRUNCATE (used by test database
flushes) is not a row operation and is not affected.  PostgreSQL only.
"""

from django.db import migrations

TABLES = ("ballots_boardentry", "ballots_signedheadrecord")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION ballots_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the bulletin board is append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ballots_refuse_change();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS ballots_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("ballots", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
