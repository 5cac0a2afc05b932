"""Append-only log rows on PostgreSQL, and the default levels and thresholds."""

from decimal import Decimal

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION petitions_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'petition log rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER petitions_logentry_append_only
    BEFORE UPDATE OR DELETE ON petitions_logentry
    FOR EACH ROW EXECUTE FUNCTION petitions_refuse_change();
CREATE TRIGGER petitions_loghead_append_only
    BEFORE UPDATE OR DELETE ON petitions_loghead
    FOR EACH ROW EXECUTE FUNCTION petitions_refuse_change();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS petitions_logentry_append_only ON petitions_logentry;
DROP TRIGGER IF EXISTS petitions_loghead_append_only ON petitions_loghead;
DROP FUNCTION IF EXISTS petitions_refuse_change();
"""

# Kazakhstan's e-petition rules as defaults (editable in the admin):
# 50,000 signatures for the national government; 1% of a region's (or a
# city's, or a district's) population for a response, 2% for a debate.
LEVELS = [
    ("district", "District", ["district"], None, 10),
    ("region", "Region or city", ["region", "city"], None, 20),
    ("national", "National government", [], 20_000_000, 30),
]
THRESHOLDS = [
    ("district", "percent", None, Decimal("1"), "response", 30),
    ("region", "percent", None, Decimal("1"), "response", 30),
    ("region", "percent", None, Decimal("2"), "debate", 60),
    ("national", "absolute", 50_000, None, "response", 30),
    ("national", "absolute", 100_000, None, "debate", 60),
]


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


def load_levels(apps, schema_editor):
    Level = apps.get_model("petitions", "Level")
    Threshold = apps.get_model("petitions", "Threshold")
    for code, name, kinds, population, order in LEVELS:
        Level.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "region_kinds": kinds,
                "population": population,
                "sort_order": order,
            },
        )
    for code, kind, signatures, percent, trigger, days in THRESHOLDS:
        Threshold.objects.get_or_create(
            level=Level.objects.get(code=code),
            kind=kind,
            signatures=signatures,
            percent=percent,
            trigger=trigger,
            defaults={"deadline_days": days},
        )


def unload_levels(apps, schema_editor):
    apps.get_model("petitions", "Threshold").objects.all().delete()
    apps.get_model("petitions", "Level").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(load_levels, unload_levels),
    ]
