"""The patient search goes through an index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL)
and finds what the plain search found: name parts, whole record numbers, and birth dates."""

import pytest
from django.db import connection
from django.urls import reverse

from segmenta.conftest import make_patient
from segmenta.patients import search_index
from segmenta.patients.models import Patient, fold


def found(clinic, q):
    return sorted(p.family_name for p in Patient.objects.filter(clinic=clinic).search(q))


@pytest.fixture
def people(clinic, other_clinic):
    make_patient(clinic, family="Müller-Lüdenscheidt", given="Anna", record_number="A-17", birth_date="1970-03-12")
    make_patient(clinic, family="Hoffmann", given="Ursula", record_number="B-2", birth_date="1955-11-30")
    make_patient(clinic, family="Mann", given="Thomas", birth_date="1975-06-06")
    make_patient(other_clinic, family="Müller", given="Anna", record_number="A-17", birth_date="1970-03-12")


def test_name_parts_of_three_letters_and_more_are_found_anywhere_in_the_name(clinic, people):
    assert found(clinic, "mül") == ["Müller-Lüdenscheidt"]
    assert found(clinic, "LÜDEN") == ["Müller-Lüdenscheidt"]
    assert found(clinic, "mann") == ["Hoffmann", "Mann"]
    assert found(clinic, "ursula hoff") == ["Hoffmann"]
    assert found(clinic, "anna ursula") == []


def test_short_words_still_search_without_the_index(clinic, people):
    assert found(clinic, "ma") == ["Hoffmann", "Mann"]
    assert found(clinic, "B-2") == ["Hoffmann"]


def test_a_record_number_is_found_whole_and_in_any_case(clinic, people):
    assert found(clinic, "a-17") == ["Müller-Lüdenscheidt"]
    assert found(clinic, "A-1") == []


def test_a_birth_date_is_found_written_either_way(clinic, people):
    assert found(clinic, "1970-03-12") == ["Müller-Lüdenscheidt"]
    assert found(clinic, "12.03.1970") == ["Müller-Lüdenscheidt"]
    assert found(clinic, "mann 06.06.1975") == ["Mann"]
    assert found(clinic, "31.02.1970") == []


def test_the_patient_list_searches_only_the_users_clinic(doctor_client, clinic, people):
    html = doctor_client.get(reverse("patients:list"), {"q": "müller anna"}).content.decode()
    assert "Müller-Lüdenscheidt" in html and "Müller</" not in html
    html = doctor_client.get(reverse("patients:list"), {"q": "12.03.1970"}).content.decode()
    assert html.count("Anna") == 1


def test_the_index_follows_renames_and_record_numbers(clinic, people):
    patient = Patient.objects.get(family_name="Mann")
    patient.family_name, patient.record_number = "Zweig", "Z-99"
    patient.save()
    assert found(clinic, "mann") == ["Hoffmann"]
    assert found(clinic, "zwei") == ["Zweig"]
    assert found(clinic, "z-99") == ["Zweig"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_an_index_whose_triggers_a_rebuilt_table_lost_is_repaired(clinic, people):
    with connection.cursor() as cursor:
        for name in search_index.TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute(f"DROP INDEX {search_index.RECORD_NUMBER_INDEX}")
    connection._segmenta_patient_search_ready = False  # as on the next connection
    make_patient(clinic, family="Neuberg", given="Nina", record_number="N-1")
    assert found(clinic, "neuberg") == ["Neuberg"]
    assert found(clinic, "n-1") == ["Neuberg"]
    make_patient(clinic, family="Altberg", given="Otto")  # the triggers are back
    assert found(clinic, "berg") == ["Altberg", "Neuberg"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_the_migrations_leave_the_index_and_its_triggers_whole(db):
    """A migration that rebuilds the patients' table (SQLite does, to add a constraint) must
    set the triggers up again: a repair inside a request's transaction could be rolled back."""
    names = [search_index.FTS, *search_index.TRIGGERS, search_index.RECORD_NUMBER_INDEX]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name IN (%s)" % ", ".join(["%s"] * len(names)), names)
        assert sorted(row[0] for row in cursor.fetchall()) == sorted(names)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def plan_of_search(clinic, q):
    """SQLite's plan for the search, in one line."""
    sql, params = Patient.objects.filter(clinic=clinic).search(q).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " ".join(row[-1] for row in cursor.fetchall()) + " "


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_sqlite_searches_through_the_trigram_index(clinic, people):
    assert f"SCAN {search_index.FTS} VIRTUAL TABLE" in plan_of_search(clinic, "hoffmann")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_the_record_number_is_looked_up_in_its_own_index(clinic, people):
    plan = plan_of_search(clinic, "b-2")
    assert f"INDEX {search_index.RECORD_NUMBER_INDEX}" in plan and "SCAN patients_patient " not in plan


TRICKY = [("Straße", "Zoë"), ("Øster-Gaard", "Łukasz"), ("Yılmaz", "İlkay"), ("Ολυμπία", "Σοφία"),
          ("O'Neil_100%", "Anne-Marie"), ("STRASSER", "ǅemal"), ("Weiß", "ﬁona")]


@pytest.mark.parametrize("word", ["strasse", "STRASS", "ße", "øster", "łuk", "yılm", "ilkay", "λυμπ", "ΣΟΦ",
                                  "l_1", "00%", "'ne", "ǆem", "dzem", "fion", "weiss", "ss", "zoe", "ann"])
def test_the_index_finds_exactly_what_a_plain_comparison_of_folded_names_finds(clinic, word):
    """Names are taken as the index finds them, unchecked: so it must find the same names
    as comparing the folded name with the folded word, letter for letter."""
    for family, given in TRICKY:
        make_patient(clinic, family=family, given=given)
    plain = sorted(p.family_name for p in Patient.objects.filter(clinic=clinic, name_key__contains=fold(word)))
    assert found(clinic, word) == plain


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_postgresql_has_a_trigram_index_on_names(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            pytest.skip("pg_trgm is not available on this server")
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'patients_patient%%trgm'")
        found = dict(cursor.fetchall())
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'btree_gin'")
        if cursor.fetchone() is not None:  # the clinic in the same index, the name-only one gone
            assert list(found) == ["patients_patient_clinic_name_key_trgm"]
            assert "(clinic_id, name_key gin_trgm_ops)" in found["patients_patient_clinic_name_key_trgm"]
        else:
            assert "gin_trgm_ops" in found["patients_patient_name_key_trgm"]
