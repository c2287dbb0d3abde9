from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export, name="export"),
    path("settings/", views.settings_page, name="settings"),
    path("sessions/<int:session_id>/", views.for_session, name="for_session"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/lines/", views.add_line, name="add_line"),
    path("<int:pk>/discard/", views.discard, name="discard"),
    path("<int:pk>/issue/", views.issue, name="issue"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("<int:pk>/reminders/", views.remind, name="remind"),
    path("reminders/<int:pk>/pdf/", views.reminder_pdf, name="reminder_pdf"),
]
