from django.urls import path

from . import chart_views, erasure_views, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("export.csv", views.patient_export, name="export"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/erasure/", erasure_views.erasure_request, name="erasure"),
    path("<int:pk>/reviews/today/", chart_views.review_today, name="review_today"),
    path("<int:pk>/<slug:kind>/new/", chart_views.item_form, name="item_new"),
    path("<int:pk>/<slug:kind>/<int:item_id>/edit/", chart_views.item_form, name="item_edit"),
    path("<int:pk>/<slug:kind>/<int:item_id>/entered-in-error/", chart_views.entered_in_error,
         name="item_in_error"),
    path("<int:pk>/consents/<int:item_id>/scan/", chart_views.consent_scan, name="consent_scan"),
]
