"""The framework floor for benchmarks/http.py: the same Django answering one small JSON
document with no middleware, no apps and no database. Settings, URLs and view in one
module; served as ``DJANGO_SETTINGS_MODULE=benchmarks.floor gunicorn
'django.core.wsgi:get_wsgi_application()'`` from the project folder.
"""

from django.http import JsonResponse
from django.urls import path

SECRET_KEY = "benchmark-floor-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True


def hello(request):
    return JsonResponse({"status": "ok", "floor": True})


urlpatterns = [path("", hello)]
