"""Phrases: the engines' English text that remembers its template and parameters, so that a
page can say it in its own language and a stored reason can be said again later."""

import copy
import json
import pickle

from django.utils import translation

from segmenta.knowledge import wording
from segmenta.knowledge.base import load
from segmenta.knowledge.phrases import Day, Number, Phrase, code, term


def test_a_phrase_is_its_english_text_everywhere_a_string_goes():
    phrase = Phrase("%(mg)s mg of %(drug)s on %(date)s", mg=Number(1.5), drug=term(load().get("drug", "procaine"),
                                                                                      lower=True),
                    date=Day("2026-03-01"))
    assert phrase == "1.5 mg of procaine on 2026-03-01"
    assert json.dumps({"message": phrase}) == '{"message": "1.5 mg of procaine on 2026-03-01"}'
    assert {phrase: 1} == {"1.5 mg of procaine on 2026-03-01": 1}
    # Copied and pickled (caches, deep copies of a verdict), it still knows how it was made.
    for again in (copy.deepcopy(phrase), pickle.loads(pickle.dumps(phrase))):
        assert again.data() == phrase.data()


def test_its_data_says_it_again_in_german_numbers_dates_and_terms_included():
    phrase = Phrase("%(mg)s mg of %(drug)s on %(date)s", mg=Number(1.5), drug=term(load().get("drug", "procaine"),
                                                                                      lower=True),
                    date=Day("2026-03-01"))
    stored = json.loads(json.dumps(phrase.data()))
    # A template no catalog holds reads as its English, with the language's numbers and terms.
    assert wording.render(stored, "de") == "1,5 mg of Procain on 01.03.2026"
    assert wording.render(stored, "es") == "1,5 mg of procaína on 01/03/2026"
    with translation.override("de"):
        assert wording.say(phrase) == "1,5 mg of Procain on 01.03.2026"
    assert wording.say(phrase, "en") == "1.5 mg of procaine on 2026-03-01"


def test_partial_dates_and_a_row_of_phrases():
    row = Phrase.joined([Phrase("since %(date)s", date=Day("2019-05")), Phrase("since %(date)s", date=Day("2019")),
                         code("side", "left")], ", ")
    assert row == "since 2019-05, since 2019, left"
    assert wording.render(row.data(), "de") == "since Mai 2019, since 2019, Links"
    assert wording.render(row.data(), "es") == "since mayo de 2019, since 2019, izquierda"


def test_a_stored_reason_whose_phrase_cannot_be_said_reads_as_its_english():
    damaged = {"code": "weight_unknown", "verdict": "warn", "message": "weight unknown: the session limit is 500 mg",
               "phrase": {"t": "%(missing)s and %(limit)s mg", "p": {"limit": {"number": 500, "places": None}}}}
    assert wording.reason(damaged, "de") == "weight unknown: the session limit is 500 mg"
