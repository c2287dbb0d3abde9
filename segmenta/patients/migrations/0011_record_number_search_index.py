from django.db import migrations


def install(apps, schema_editor):
    from segmenta.patients import search_index

    search_index.install(schema_editor.connection)


class Migration(migrations.Migration):
    """On SQLite, the record number gets an index of its own for the search (search_index)."""

    dependencies = [
        ('patients', '0010_alter_historicalmedication_medication_class_and_more'),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
