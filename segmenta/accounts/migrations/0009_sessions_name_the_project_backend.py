"""Sessions open at the update name Django's ModelBackend, whose place the project's own
(segmenta/accounts/backends.py: the same sign-in, its user read by a prepared query) takes in
AUTHENTICATION_BACKENDS. Django would treat such a session as signed out; rewritten here,
it stays open, and nobody loses what they were entering at the moment of the update."""

from django.db import migrations

OLD = "django.contrib.auth.backends.ModelBackend"
NEW = "segmenta.accounts.backends.ModelBackend"


def _rename(apps, schema_editor, before, after):
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    for session in Session.objects.using(schema_editor.connection.alias).iterator():
        data = store.decode(session.session_data)
        if data.get("_auth_user_backend") == before:
            data["_auth_user_backend"] = after
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, OLD, NEW)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_training_record_continuing_education"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
