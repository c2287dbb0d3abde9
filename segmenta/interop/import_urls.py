"""/import/: the FHIR import's pages (segmenta/interop/imports_views.py)."""

from django.urls import path

from . import imports_views

app_name = "imports"

urlpatterns = [
    path("", imports_views.upload, name="upload"),
    path("<int:pk>/", imports_views.report, name="report"),
    path("held/<int:pk>/", imports_views.decide, name="decide"),
    path("patients/<int:pk>/proposals/", imports_views.proposals, name="proposals"),
    path("patients/<int:pk>/proposals/<int:proposal_id>/", imports_views.proposal_decide, name="proposal_decide"),
]
