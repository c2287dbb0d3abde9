from django.urls import path

from . import copy_views, reassessment_views, views

app_name = "outcomes"

urlpatterns = [
    path("patients/<int:pk>/questionnaires/", views.questionnaires, name="questionnaires"),
    path("patients/<int:pk>/copy/", copy_views.patient_copy, name="patient_copy"),
    path("patients/<int:pk>/copy.json", copy_views.patient_copy_json, name="patient_copy_json"),
    path("patients/<int:pk>/questionnaires/links/", views.link_create, name="link_create"),
    path("patients/<int:pk>/questionnaires/<slug:instrument>/enter/", views.enter_answers, name="enter"),
    path("patients/<int:pk>/alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("plans/<int:plan_id>/reassessment/", reassessment_views.reassessment, name="reassessment"),
    path("q/<str:token>/", views.answer, name="answer"),
    path("outcomes/", views.practice, name="practice"),
    path("outcomes/instruments/", views.instrument_import, name="instrument_import"),
    path("outcomes/research.<str:fmt>", views.research_export, name="research_export"),
]
