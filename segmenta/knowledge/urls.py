from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.learn_index, name="index"),
    path("overrides/", views.overrides_view, name="overrides"),
    path("overrides/<int:pk>/withdraw/", views.override_deactivate, name="override_deactivate"),
    path("<slug:kind>/", views.learn_kind, name="kind"),
    path("<slug:kind>/<str:entry_id>/", views.learn_entry, name="entry"),
]
