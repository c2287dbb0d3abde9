import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


class KnowledgeConfig(AppConfig):
    name = "segmenta.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self):
        post_migrate.connect(index_after_migrate, sender=self, dispatch_uid="knowledge-search-index")


def index_after_migrate(sender, using="default", plan=None, **kwargs):
    """After `migrate` (not after a flush, which passes no plan), index the shipped knowledge base
    for the Learn search in every language unless this version is indexed already."""
    from django.db import connections

    from .base import KnowledgeError, load
    from .search import LANGUAGES, ensure_index

    if plan is None or "knowledge_searchentry" not in connections[using].introspection.table_names():
        return
    try:
        kb = load()
        for lang in LANGUAGES:
            ensure_index(kb, lang)
    except KnowledgeError as error:  # `segmenta kb validate` says what is wrong; migrate goes on
        log.warning("the Learn search index was not built: %s", error)
