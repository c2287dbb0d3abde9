from django.db import migrations


def install(apps, schema_editor):
    from segmenta.patients import search_index

    search_index.install(schema_editor.connection)


class Migration(migrations.Migration):
    """On PostgreSQL, the name's trigram index also holds the clinic (btree_gin), where allowed."""

    dependencies = [
        ('patients', '0006_patient_search_index'),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
