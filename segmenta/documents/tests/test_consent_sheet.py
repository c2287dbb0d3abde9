"""The information and consent sheet is printed only with a consent given and not withdrawn:
for a refusal or a withdrawn consent the page says why, the PDF answers 409 and `segmenta pdf`
exits 2, and nothing is issued."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from segmenta.documents import content
from segmenta.documents.make import compose
from segmenta.documents.models import IssuedDocument, Kind
from segmenta.patients.models import Consent

from .conftest import spanish_consent
from .test_pages import client_of


def refused(patient):
    return Consent.objects.create(patient=patient, date=datetime.date(2026, 3, 2), scope="Neuraltherapie",
                                  decision=Consent.Decision.REFUSED)


def withdrawn(patient):
    return Consent.objects.create(patient=patient, date=datetime.date(2026, 3, 2), scope="Neuraltherapie",
                                  scopes=["injection_therapy"], method="signature", signature_svg="M 1 1 L 5 5",
                                  withdrawn_on=datetime.date(2026, 3, 20), withdrawal_note="changed her mind")


@pytest.mark.parametrize("make, says", [(refused, "refused consent"), (withdrawn, "withdrawn on")])
def test_no_sheet_for_a_consent_not_given_or_withdrawn(demo, tmp_path, make, says):
    patient = spanish_consent().patient
    consent = make(patient)
    with pytest.raises(content.NotAvailable, match=says):
        compose(Kind.CONSENT_SHEET, consent, technique="stellate")
    # content.consent_sheet refuses on its own too, whoever calls it.
    with pytest.raises(content.NotAvailable, match=says):
        content.consent_sheet(consent, "stellate")

    client = client_of("demo-doctor")
    page = client.get(reverse("documents:consent_sheet", args=[consent.pk]) + "?technique=stellate")
    assert page.status_code == 409 and says in page.content.decode()
    pdf = client.post(reverse("documents:consent_sheet_pdf", args=[consent.pk]), {"technique": "stellate"})
    assert pdf.status_code == 409 and pdf["Content-Type"].startswith("text/html")

    with pytest.raises(CommandError) as error:
        call_command("pdf", "consent-sheet", str(consent.pk), "--technique", "stellate",
                     "-o", str(tmp_path / "sheet.pdf"), stdout=open("/dev/null", "w"))
    assert error.value.returncode == 2
    assert str(error.value).startswith("ID: ") and says in str(error.value) and "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
    assert not IssuedDocument.objects.filter(consent=consent).exists()


def test_the_index_offers_a_sheet_only_for_a_consent_given_and_says_why_not_for_the_others(demo):
    given = spanish_consent()
    no, gone = refused(given.patient), withdrawn(given.patient)
    page = client_of("demo-doctor").get(reverse("documents:index", args=[given.patient_id])).content.decode()
    assert reverse("documents:consent_sheet", args=[given.pk]) in page
    for consent in (no, gone):
        assert reverse("documents:consent_sheet", args=[consent.pk]) not in page
        assert content.why_no_sheet(consent).split(":")[0] in page
    assert content.why_no_sheet(given) is None
