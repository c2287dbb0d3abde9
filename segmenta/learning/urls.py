"""Learn's interactive pages. Mounted at /learn/ before the knowledge base's catch-all
/learn/<kind>/, so each path here must name a word no knowledge kind uses."""
from django.urls import path

app_name = "learning"

urlpatterns = [
]
