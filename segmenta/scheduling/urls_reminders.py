"""Reminders, recall and the calendar feed, under /calendar/ beside the calendar's own pages
(segmenta/urls.py includes both)."""

from django.urls import path

from . import views_reminders as views

app_name = "reminders"

urlpatterns = [
    path("feed/", views.feed_page, name="feed_page"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("recall/", views.recall_list, name="recall"),
    path("recall/send/", views.recall_send, name="recall_send"),
    path("recall/handled/", views.recall_handled, name="recall_handled"),
    path("patients/<int:pk>/contact/", views.contact_preferences, name="contact"),
]
