"""Names are searched and sorted folded, the same on SQLite and PostgreSQL."""

from django.urls import reverse

from segmenta.conftest import make_patient
from segmenta.patients.models import Patient, fold


def test_fold_drops_accents_and_case():
    assert (fold("Öztürk"), fold("KRÜGER"), fold("Straße"), fold("Muñoz")) == ("ozturk", "kruger", "strasse", "munoz")


def test_search_finds_names_whatever_their_accents_or_case(clinic):
    oz = make_patient(clinic, family="Öztürk", given="Ayşe")
    kr = make_patient(clinic, family="Krüger", given="Jürgen")
    visible = Patient.objects.filter(clinic=clinic)
    for query, found in (("öztürk", oz), ("OZTURK", oz), ("KRÜGER", kr), ("kruger jurgen", kr), ("ayse", oz)):
        assert list(visible.search(query)) == [found], query


def test_umlauts_sort_with_their_base_letter(clinic):
    for family in ("Yilmaz", "Öztürk", "Otto", "Adler"):
        make_patient(clinic, family=family, given="X")
    assert [p.family_name for p in Patient.objects.filter(clinic=clinic)] == ["Adler", "Otto", "Öztürk", "Yilmaz"]


def test_the_patient_list_search_uses_the_folded_names(doctor_client, clinic):
    make_patient(clinic, family="Öztürk", given="Ayşe")
    html = doctor_client.get(reverse("patients:list") + "?q=ozturk").content.decode()
    assert "Öztürk" in html
