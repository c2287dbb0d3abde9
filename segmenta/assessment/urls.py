from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("<int:pk>/assess/", views.assess_view, name="assess"),
    path("<int:pk>/assess/acknowledge/", views.acknowledge_view, name="acknowledge"),
    path("<int:pk>/complaints/<int:complaint_id>/screening/", views.screening_view, name="screening"),
]
