from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from segmenta.accounts.views import admin_login
from segmenta.api.api import api
from segmenta.resolved import KeptResolver

urlpatterns = [
    # First: every API request would otherwise be tried against each page of the apps whose
    # addresses start at the root (treatment, outcomes), about 25 µs a request.
    # Each address resolved once per process (segmenta/resolved.py).
    KeptResolver.of(path("api/v1/", api.urls), not_kept={"no_such_address"}),
    path("", RedirectView.as_view(pattern_name="patients:list", permanent=False)),
    path("accounts/", include("segmenta.accounts.urls")),
    # The login page's language switch (Django's set_language: the language cookie, then back).
    path("i18n/", include("django.conf.urls.i18n")),
    # Treatment and assessment first: the chart's generic /patients/<id>/<kind>/new/
    # would otherwise claim /patients/<id>/sessions/new/.
    path("", include("segmenta.treatment.urls")),
    path("", include("segmenta.outcomes.urls")),
    path("patients/", include("segmenta.assessment.urls")),
    path("patients/", include("segmenta.patients.urls")),
    path("clinic/audit/", include("segmenta.audit.urls")),
    path("learn/", include("segmenta.learning.urls")),
    path("learn/", include("segmenta.knowledge.urls")),
    path("documents/", include("segmenta.documents.urls")),
    path("calendar/", include("segmenta.scheduling.urls")),
    path("calendar/", include("segmenta.scheduling.urls_reminders")),
    path("invoices/", include("segmenta.billing.urls")),
    path("fhir/r4/", include("segmenta.interop.urls")),
    path("import/", include("segmenta.interop.import_urls")),
    # The admin uses the app's own login (password, lockout, TOTP), never its own form; a
    # logged-in user who is no server operator is told so there instead of being looped back.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]
