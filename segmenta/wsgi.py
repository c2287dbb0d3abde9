"""WSGI entry point for production servers (`gunicorn segmenta.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segmenta.settings")
application = get_wsgi_application()
# Import every view now, not on the first request: the API's schemas and the knowledge base
# they take their vocabularies from cost seconds, which a worker spends before it accepts
# connections (or, with gunicorn.conf.py's preload_app, the master spends once for all).
get_resolver().url_patterns
