"""/fhir/r4/: the FHIR R4 API (segmenta/interop/fhir)."""

from django.urls import path, re_path

from .fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(r"^(?P<type_name>[A-Z][A-Za-z]{1,63})$", views.search_type, name="search"),
    re_path(r"^(?P<type_name>[A-Z][A-Za-z]{1,63})/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.read, name="read"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
