"""WSGI entry point for production servers (`gunicorn segmenta.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segmenta.settings")
application = get_wsgi_application()
