"""Learn's interactive pages. Mounted at /learn/ before the knowledge base's catch-all
/learn/<kind>/, so each path here must name a word no knowledge kind uses."""
from django.urls import path

from . import views_ce  # continuing education

app_name = "learning"

urlpatterns = [
    # Continuing education (views_ce.py).
    path("training/", views_ce.training_page, name="training"),
    path("training/new/", views_ce.record_new, name="training_new"),
    path("training/<int:pk>/edit/", views_ce.record_edit, name="training_edit"),
    path("training/period/<slug:requirement>/", views_ce.cycle_save, name="training_cycle"),
    path("training/team/", views_ce.team_page, name="training_team"),
    path("training/requirements/", views_ce.requirements_page, name="training_requirements"),
    path("training/requirements/<int:pk>/", views_ce.requirements_page, name="training_requirement"),
    path("training/requirements/<int:pk>/delete/", views_ce.requirement_delete, name="training_requirement_delete"),
]
