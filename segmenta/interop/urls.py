"""/fhir/r4/: the FHIR R4 API (segmenta/interop/fhir)."""

from django.urls import path, re_path

from . import imports_views
from .fhir import bulk_views, views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(r"^(?P<type_name>[A-Z][A-Za-z]{1,63})$", views.search_type, name="search"),
    re_path(r"^(?P<type_name>[A-Z][A-Za-z]{1,63})/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.read, name="read"),
    # The patient compartment and the patient summary (segmenta/interop/fhir/everything.py).
    re_path(r"^Patient/(?P<resource_id>[A-Za-z0-9\-.]{1,64})/\$everything$", views.patient_everything,
            name="everything"),
    re_path(r"^Patient/(?P<resource_id>[A-Za-z0-9\-.]{1,64})/\$summary$", views.patient_summary, name="summary"),
    # Bulk Data export (segmenta/interop/fhir/bulk.py): kick-off, status, files.
    path("$export", bulk_views.system_export, name="export"),
    path("Patient/$export", bulk_views.patient_export, name="patient-export"),
    re_path(r"^Group/(?P<group_id>[A-Za-z0-9\-.]{1,64})/\$export$", bulk_views.group_export, name="group-export"),
    re_path(r"^\$export-status/(?P<job_id>[0-9a-f]{32})$", bulk_views.status, name="export-status"),
    re_path(r"^\$export-file/(?P<job_id>[0-9a-f]{32})/(?P<name>[A-Za-z]{1,64}\.ndjson)$", bulk_views.download,
            name="export-file"),
    # Import (segmenta/interop/fhir/imports.py): a transaction or batch Bundle POSTed to the base.
    path("", imports_views.transaction, name="transaction"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
