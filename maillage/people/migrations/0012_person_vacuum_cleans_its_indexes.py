"""PostgreSQL: every VACUUM of the people table cleans its indexes (#17).

From PostgreSQL 14, a VACUUM that finds dead rows on fewer than 2 % of a table's pages skips its
index pass, and those pages stay "not all-visible": an index-only scan must then read the table
for every row on them. At 1,000,000 people the demo's updated pages were 356 (1.8 %), and a
segment page read 610 of its 1,697 matches from the table, twice a view. With
`vacuum_index_cleanup = on` the index pass always runs (autovacuum included), at the cost of
reading the indexes on those small vacuums. Nothing on SQLite."""

from django.db import migrations


def _table(apps) -> str:  # type: ignore[no-untyped-def]
    return apps.get_model("people", "Person")._meta.db_table


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(_table(apps))
        schema_editor.execute(f"ALTER TABLE {table} SET (vacuum_index_cleanup = on)")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(_table(apps))
        schema_editor.execute(f"ALTER TABLE {table} RESET (vacuum_index_cleanup)")


class Migration(migrations.Migration):
    dependencies = [("people", "0011_person_station_index_covers_the_name")]

    operations = [migrations.RunPython(forwards, backwards)]
