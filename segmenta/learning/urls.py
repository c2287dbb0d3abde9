"""Learn's interactive pages. Mounted at /learn/ before the knowledge base's catch-all
/learn/<kind>/, so each path here must name a word no knowledge kind uses."""
from django.urls import path

from . import views_courses
from . import views_ce  # continuing education
from . import views_lab  # the membrane-potential lab
from . import views_sim  # the case simulator
from . import views_leaflets  # patient leaflets

app_name = "learning"

urlpatterns = [
    path("leaflets/", views_leaflets.leaflet_list, name="leaflets"),
    path("leaflets/<slug:leaflet_id>/", views_leaflets.leaflet_view, name="leaflet"),
    path("leaflets/<slug:leaflet_id>.pdf", views_leaflets.leaflet_pdf, name="leaflet_pdf"),
    # Courses on the knowledge base (views_courses.py).
    path("courses/", views_courses.course_list, name="courses"),
    path("courses/certificate.pdf", views_courses.certificate, name="course_certificate"),
    path("courses/accreditation/", views_courses.accreditation_view, name="course_accreditation"),
    path("courses/team/", views_courses.team_view, name="course_team"),
    path("courses/<slug:module_id>/", views_courses.module_page, name="course_module"),
    path("courses/<slug:module_id>/quiz/", views_courses.quiz_view, name="course_quiz"),
    path("courses/<slug:module_id>/attempts/<int:pk>/", views_courses.attempt_view, name="course_attempt"),
    path("courses/<slug:module_id>/read/<slug:kind>/<str:entry_id>/", views_courses.open_reading,
         name="course_reading"),
    # Continuing education (views_ce.py).
    path("training/", views_ce.training_page, name="training"),
    path("training/new/", views_ce.record_new, name="training_new"),
    path("training/<int:pk>/edit/", views_ce.record_edit, name="training_edit"),
    path("training/period/<slug:requirement>/", views_ce.cycle_save, name="training_cycle"),
    path("training/team/", views_ce.team_page, name="training_team"),
    path("training/requirements/", views_ce.requirements_page, name="training_requirements"),
    path("training/requirements/<int:pk>/", views_ce.requirements_page, name="training_requirement"),
    path("training/requirements/<int:pk>/delete/", views_ce.requirement_delete, name="training_requirement_delete"),
    # The case simulator (views_sim.py).
    path("simulator/", views_sim.vignette_list, name="simulator"),
    path("simulator/start/<str:vignette_id>/", views_sim.start, name="simulator_start"),
    path("simulator/<int:pk>/", views_sim.run_view, name="simulator_run"),
    path("simulator/<int:pk>/ask/", views_sim.ask, name="simulator_ask"),
    path("simulator/<int:pk>/next/", views_sim.advance, name="simulator_advance"),
    # The membrane-potential lab (views_lab.py).
    path("lab/", views_lab.lab_page, name="lab"),
]
