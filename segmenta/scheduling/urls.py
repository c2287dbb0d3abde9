from django.urls import path

from . import today_views, views

app_name = "scheduling"

urlpatterns = [
    path("", views.calendar_day, name="day"),
    path("week/", views.calendar_week, name="week"),
    path("today/", today_views.today, name="today"),
    path("new/", views.book, name="book"),
    path("new/patients/", views.book_patients, name="book_patients"),
    path("plans/<int:plan_id>/course/", views.book_course, name="course"),
    path("appointments/<int:appointment_id>/", views.appointment_detail, name="appointment"),
    path("appointments/<int:appointment_id>/move/", views.appointment_move, name="move"),
    path("appointments/<int:appointment_id>/cancel/", views.appointment_cancel, name="cancel"),
    path("appointments/<int:appointment_id>/status/", views.appointment_status, name="status"),
    path("appointments/<int:appointment_id>/session/", views.appointment_session, name="open_session"),
    path("settings/", views.calendar_settings, name="settings"),
    path("settings/closures/<int:closure_id>/delete/", views.closure_delete, name="closure_delete"),
]
