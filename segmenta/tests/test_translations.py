"""The German and Spanish catalogs: complete, faithful to their placeholders, compiled, and
current with the code (issue 14). English, the msgids, is the source."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

PACKAGE = Path(__file__).resolve().parents[1]
LANGUAGES = ["de", "es"]
# What a translation must carry over unchanged: format placeholders and HTML tags.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}|</?\w+[^>]*>")


def catalog(language):
    return polib.pofile(str(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"))


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    missing = [entry.msgid for entry in catalog(language)
               if not entry.translated() or "fuzzy" in entry.flags or entry.obsolete]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_its_placeholders(language):
    broken = []
    for entry in catalog(language):
        if entry.msgid_plural:
            allowed = set(placeholders(entry.msgid) + placeholders(entry.msgid_plural))
            # The plural form must name what the English plural names; the singular may
            # spell out "one" instead of the count.
            plural = entry.msgstr_plural[1]
            if placeholders(plural) != placeholders(entry.msgid_plural) or \
                    not set(placeholders(entry.msgstr_plural[0])) <= allowed:
                broken.append(entry.msgid)
        elif placeholders(entry.msgstr) != placeholders(entry.msgid):
            broken.append(entry.msgid)
        if entry.msgid.endswith("\n") != (entry.msgstr or entry.msgstr_plural[0]).endswith("\n"):
            broken.append(entry.msgid)
    assert broken == []


def test_placeholders_are_what_a_translation_must_keep():
    assert placeholders("Hello %(name)s, <strong>%s</strong> {count}") == sorted(
        ["%(name)s", "<strong>", "%s", "</strong>", "{count}"])
    assert placeholders("100 %% sure") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_current_one(language):
    """The .mo files are committed (no GNU gettext needed to run Segmenta); they must say
    what the .po files say."""
    po = catalog(language)
    mo = polib.mofile(str(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.mo"))

    def table(entries):
        return {(e.msgctxt, e.msgid): e.msgstr or tuple(e.msgstr_plural[k] for k in sorted(e.msgstr_plural))
                for e in entries if e.msgid}

    assert table(mo) == table(e for e in po if e.translated())


def test_the_catalogs_hold_every_string_the_code_marks(tmp_path):
    """makemessages over a copy of the code finds no msgid the catalogs lack (nor one they
    keep that the code no longer uses)."""
    if shutil.which("xgettext") is None:
        if os.environ.get("SEGMENTA_REQUIRE_GETTEXT"):
            pytest.fail("GNU gettext (xgettext) is needed to check the catalogs")
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "segmenta"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    for language in LANGUAGES:
        (copy / "locale" / language / "LC_MESSAGES" / "django.po").unlink()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "segmenta.settings", "SEGMENTA_VAR_DIR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "-m", "django", "makemessages", *(f"-l{lang}" for lang in LANGUAGES),
                    "-e", "html,py,txt", "--no-obsolete", "--ignore", "tests/*", "--ignore", "*/tests/*"],
                   cwd=copy, env=env, check=True, capture_output=True)
    for language in LANGUAGES:
        fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))}
        kept = {(e.msgctxt, e.msgid) for e in catalog(language)}
        assert sorted(fresh - kept, key=str) == [], f"{language}: not in the catalog (run `make messages`)"
        assert sorted(kept - fresh, key=str) == [], f"{language}: no longer in the code (run `make messages`)"


@pytest.mark.parametrize(("language", "words"), [
    ("de", ["Anmelden", "Fortsetzen"]),
    ("es", ["Iniciar sesión", "Continuar"]),
])
def test_the_login_page_speaks_the_browsers_language(client, db, language, words):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'lang="{language}"' in page
    for word in words:
        assert word in page
    assert ">Log in<" not in page and ">Continue<" not in page
