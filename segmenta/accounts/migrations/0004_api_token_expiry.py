"""API tokens expire. Existing tokens get 90 days from their creation, or 90 days from now
where that has already passed, so no one's token stops working without notice. The column
becomes required in 0005, in a transaction of its own."""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F
from django.utils import timezone

GRACE = timedelta(days=90)


def give_existing_tokens_an_expiry(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    now = timezone.now()
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=F("created_at") + GRACE)
    ApiToken.objects.filter(expires_at__lte=now).update(expires_at=now + GRACE)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_retention_years"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires"),
        ),
        migrations.RunPython(give_existing_tokens_an_expiry, migrations.RunPython.noop),
    ]
