from django.db import migrations

from segmenta.patients.search_index import reinstall


class Migration(migrations.Migration):
    """On SQLite, the record number gets an index of its own for the search (search_index)."""

    dependencies = [
        ('patients', '0010_alter_historicalmedication_medication_class_and_more'),
    ]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
