"""Each patient's preferred language (issue 14): what the patient reads is in it. Patients
recorded before keep English, the only language everything they were given was in."""

from django.db import migrations, models

LANGUAGE = dict(
    choices=[("en", "English"), ("de", "Deutsch"), ("es", "Español")], default="en", max_length=8,
    help_text="The language of everything the patient reads: questionnaires and their links, the patient's copy, "
              "consent texts.", verbose_name="preferred language")


def search_index_again(apps, schema_editor):
    """SQLite adds a column with a default by rebuilding the patients' table, which drops the
    name search's triggers: set them up again."""
    from segmenta.patients import search_index

    search_index.install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("patients", "0008_chart_entries_carry_their_clinic"),
    ]

    operations = [
        migrations.AddField(model_name="historicalpatient", name="language", field=models.CharField(**LANGUAGE)),
        migrations.AddField(model_name="patient", name="language", field=models.CharField(**LANGUAGE)),
        migrations.RunPython(search_index_again, migrations.RunPython.noop),
    ]
