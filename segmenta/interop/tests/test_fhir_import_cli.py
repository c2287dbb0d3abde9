"""`segmenta fhir import`: a folder of NDJSON files in, the report as JSON out; a missing
path or clinic exits 2."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta.audit.models import AuditEvent
from segmenta.interop.models import ImportedResource

from .test_fhir_import import SYNTHEA, bundle, needs_synthea, person


@needs_synthea
def test_the_command_imports_a_folder_and_prints_the_report(clinic, capsys):
    call_command("fhir", "import", "--clinic", clinic.name, str(SYNTHEA))
    report = json.loads(capsys.readouterr().out)
    assert {k: report[k] for k in ("patients", "imported", "proposed", "refused")} == {
        "patients": 13, "imported": 275, "proposed": 19, "refused": 0}
    assert AuditEvent.objects.filter(object_type="fhir_import").first().username == "cli: segmenta fhir import"


def test_the_command_refuses_a_missing_path_or_clinic(clinic, tmp_path):
    with pytest.raises(CommandError, match="no such file or folder") as error:
        call_command("fhir", "import", "--clinic", clinic.name, str(tmp_path / "nothing.json"))
    assert error.value.returncode == 2
    (tmp_path / "a.json").write_text(bundle(person()))
    with pytest.raises(CommandError, match="no clinic named"):
        call_command("fhir", "import", "--clinic", "Nowhere", str(tmp_path / "a.json"))
    assert not ImportedResource.objects.exists()
