"""The Learn search: the database's own full-text search over an index of the knowledge base.

Every entry of a version of the knowledge base (the shipped one, or a clinic's with its
overrides) is indexed once per interface language with its name and its page as text (the
monograph) in that language, and its other names (synonyms.yaml: German, Spanish, Latin,
abbreviations; its names in the other languages). A search reads the index of the page's
language, so "Störfeld" finds what only the German text says, and shows that language's
snippet. The index is built on the first search after the version changes (per language),
by `segmenta kb reindex`, and at migrate (every language). SQLite searches it with
FTS5 (bm25), PostgreSQL with tsvector/tsquery (ts_rank over a GIN index): every word must match,
in any field, as a word or the start of one. Ranking: entries whose name holds every word first,
then those whose name and other names hold them, then the rest; within each, clinical entries
before the sources and body-map segments; among name matches the shorter name (the closer match)
first; then by the database's rank. Each result comes with a
snippet, matches marked.
"""

import logging
import re

from django.db import connection, transaction
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import localize, translations
from .models import SearchEntry, SearchIndexBuild
from .monograph import monograph, text_of

log = logging.getLogger(__name__)

# The languages indexed: the source language and each the data files translate into.
LANGUAGES = ("en", *translations.LANGUAGES)
# Builds kept (one per version in use and language: the shipped base and each clinic's overrides).
KEEP_BUILDS = 20 * len(LANGUAGES)
MAX_WORDS = 8
LIMIT = 50
# Snippet markers: characters the knowledge base does not use, replaced by <mark> after escaping.
START, STOP = "\u27e6", "\u27e7"
# Words that carry no meaning of their own in a search, in the three languages of the synonyms.
STOPWORDS = {
    "a", "an", "and", "as", "at", "by", "for", "in", "is", "of", "on", "or", "the", "to", "with", "what", "how",
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "und", "oder", "mit", "für", "bei", "im",
    "in", "von", "zu", "zur", "zum", "ist", "el", "la", "los", "las", "un", "una", "y", "o", "de", "del", "con",
    "para", "por", "en", "al",
}


def terms(query):
    """The words of a query as the index is searched: lower case, without function words, at
    most eight; each a prefix ("dose" finds "doses"), a plural searched by its singular."""
    words = []
    for word in re.split(r"[\W_]+", query.lower()):
        if not word or word in STOPWORDS or word in words:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def index_key(kb, lang):
    """What the index's rows and builds of ``kb`` in ``lang`` are filed under: the version
    for English, "VERSION@de" for another language."""
    return kb.version if lang == "en" else f"{kb.version}@{lang}"


def documents(kb, lang="en"):
    """The index's rows for one version of the knowledge base, in ``lang``: its name and page
    in that language, its other names (in every language) as other names."""
    rows = []
    key = index_key(kb, lang)
    with translation.override(lang):
        for kind, entries in kb.entries.items():
            for entry in entries.values():
                name = (translations.text(entry, "name", lang) if lang != "en" else None) or entry.get("name")
                names = [n for field in ("synonyms", "search_terms")
                         for values in entry.get(field, {}).values() for n in values]
                # Its name in the other languages too: a German page still finds "stellate".
                names += [n for n in (translations.text(entry, "name", other) if other != "en" else entry.get("name")
                                      for other in LANGUAGES if other != lang)
                          if n and n != name and n not in names]
                page = monograph(kb, kind, entry)
                page.sections = [s for s in page.sections if s.searchable]
                rows.append(SearchEntry(version=key, kind=kind, entry_id=str(entry["id"]),
                                        name=str(name or entry["id"])[:300], synonyms=" · ".join(names),
                                        body=text_of(page)))
    return rows


def ensure_index(kb, lang=None):
    """Build the index for this version in ``lang`` (else the active language) unless it is
    there already; True when it was built."""
    lang = localize.language(lang)
    if SearchIndexBuild.objects.filter(version=index_key(kb, lang)).exists():
        return False
    return build(kb, lang=lang)


def build(kb, force=False, lang="en"):
    """Index every entry of ``kb`` in ``lang`` (again, with ``force``), and drop the oldest builds."""
    rows = documents(kb, lang)
    key = index_key(kb, lang)
    with transaction.atomic():
        # Two first searches at once: the second waits for the first's row, then finds it.
        built, created = SearchIndexBuild.objects.get_or_create(version=key, defaults={"entries": len(rows)})
        if not created and not force:
            return False
        SearchEntry.objects.filter(version=key).delete()
        SearchEntry.objects.bulk_create(rows, batch_size=200)
        if not created:
            built.entries = len(rows)
            built.save()
        stale = list(SearchIndexBuild.objects.order_by("-built_at", "-id").values_list("version", flat=True)[KEEP_BUILDS:])
        if stale:
            SearchEntry.objects.filter(version__in=stale).delete()
            SearchIndexBuild.objects.filter(version__in=stale).delete()
    log.info("Learn search index built for knowledge version %s in %s (%d entries)", kb.version, lang, len(rows))
    return True


def search(kb, query, limit=LIMIT, lang=None):
    """Entries of ``kb`` matching every word of ``query`` in ``lang`` (else the active
    language), best first: [{"kind", "id", "name", "snippet" (safe HTML), "field" ("text" or
    "synonyms")}]."""
    words = terms(query)
    if not words:
        return []
    lang = localize.language(lang)
    ensure_index(kb, lang)
    if connection.vendor == "postgresql":
        rows = _postgresql(index_key(kb, lang), words, limit)
    elif connection.vendor == "sqlite":
        rows = _sqlite(index_key(kb, lang), words, limit)
    else:  # pragma: no cover - Segmenta runs on SQLite and PostgreSQL only
        raise NotImplementedError(f"no full-text search for {connection.vendor}")
    results = []
    for kind, entry_id, name, synonyms_snippet, body_snippet in rows:
        # The snippet that shows more of the words; the text's when they show as many.
        field, snippet = ("synonyms", synonyms_snippet) if _found(synonyms_snippet, name) > _found(body_snippet, name) \
            else ("text", body_snippet)
        results.append({"kind": kind, "id": entry_id, "name": name, "field": field, "snippet": _marked(snippet)})
    return results


# Kinds ranked after the clinical entries that match as well: references and body-map parts.
SECONDARY = ("source", "choir-segment")


def _found(snippet, name):
    """How many different words a snippet shows, besides those the entry's name shows anyway."""
    name = name.lower()
    return len({m.lower() for m in re.findall(f"{START}(.*?){STOP}", snippet or "")} - set(re.split(r"[\W_]+", name)))


def _sqlite(version, words, limit):
    terms_ = " ".join(f'"{w}"' if len(w) == 1 else f'"{w}"*' for w in words)
    sql = f"""
        SELECT e.kind, e.entry_id, e.name,
               snippet(knowledge_searchentry_fts, 1, '{START}', '{STOP}', '…', 12),
               snippet(knowledge_searchentry_fts, 2, '{START}', '{STOP}', '…', 24)
        FROM knowledge_searchentry_fts JOIN knowledge_searchentry e ON e.id = knowledge_searchentry_fts.rowid
        WHERE knowledge_searchentry_fts MATCH %s AND e.version = %s
        ORDER BY
            CASE WHEN e.id IN (SELECT rowid FROM knowledge_searchentry_fts WHERE knowledge_searchentry_fts MATCH %s) THEN 0
                 WHEN e.id IN (SELECT rowid FROM knowledge_searchentry_fts WHERE knowledge_searchentry_fts MATCH %s) THEN 1
                 ELSE 2 END,
            CASE WHEN e.kind IN ({", ".join("%s" for _kind in SECONDARY)}) THEN 1 ELSE 0 END,
            CASE WHEN e.id IN (SELECT rowid FROM knowledge_searchentry_fts WHERE knowledge_searchentry_fts MATCH %s)
                 THEN length(e.name) ELSE 0 END,
            bm25(knowledge_searchentry_fts, 10.0, 4.0, 1.0), e.kind, e.name
        LIMIT %s"""
    in_name = f"name : ({terms_})"
    with connection.cursor() as cursor:
        cursor.execute(sql, [terms_, version, in_name, f"{{name synonyms}} : ({terms_})", *SECONDARY, in_name,
                             limit])
        return cursor.fetchall()


HEADLINE = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \""


def _postgresql(version, words, limit):
    def query(weights=""):  # weights restrict a word to the name (A) or the name and other names (AB)
        return " & ".join(w + (f":{weights}" if len(w) == 1 and weights else f":*{weights}" if len(w) > 1 else "")
                          for w in words)

    sql = f"""
        SELECT kind, entry_id, name,
               ts_headline('segmenta_search', synonyms, q, %s),
               ts_headline('segmenta_search', body, q, %s)
        FROM knowledge_searchentry, to_tsquery('segmenta_search', %s) AS q
        WHERE version = %s AND document @@ q
        ORDER BY
            CASE WHEN document @@ to_tsquery('segmenta_search', %s) THEN 0
                 WHEN document @@ to_tsquery('segmenta_search', %s) THEN 1
                 ELSE 2 END,
            CASE WHEN kind IN ({", ".join("%s" for _kind in SECONDARY)}) THEN 1 ELSE 0 END,
            CASE WHEN document @@ to_tsquery('segmenta_search', %s) THEN length(name) ELSE 0 END,
            ts_rank(document, q) DESC, kind, name
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [HEADLINE, HEADLINE, query(), version, query("A"), query("AB"), *SECONDARY, query("A"),
                             limit])
        return cursor.fetchall()


def _marked(snippet):
    """A snippet as safe HTML: escaped, its matches in <mark>, lines run together."""
    text = escape(" ".join((snippet or "").split()))
    return mark_safe(text.replace(START, "<mark>").replace(STOP, "</mark>"))
