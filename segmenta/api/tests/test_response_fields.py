"""A response read from a model instance (api/schemas.py, Out) holds what django-ninja's own
field-by-field reading would have: aliases, dotted paths, resolvers with their context,
callables, managers, nested schemas, defaults."""

from datetime import date, datetime
from typing import Optional

import pytest
from ninja import Field
from pydantic import ValidationError

from segmenta.api.patients import PatientOut
from segmenta.api.schemas import Out

pytestmark = pytest.mark.django_db


class VersionProbe(Out):
    history_id: int
    history_type: str
    family_name: str


class Probe(Out):
    id: int
    clinic: int = Field(..., alias="clinic_id")
    clinic_name: str = Field(..., alias="clinic.name")
    labelled: str
    get_sex_display: str
    birth_date: date
    created_at: datetime
    restricted_at: Optional[datetime]
    nickname: str = "none"
    versions: list[VersionProbe]

    @staticmethod
    def resolve_labelled(patient, context):
        return f"{patient.family_name} ({context['asked_by']})"


class Forwarded:
    """The patient behind a stand-in that is no model instance: read as django-ninja reads."""

    def __init__(self, patient):
        self._patient = patient

    def __getattr__(self, name):
        return getattr(self._patient, name)


def test_a_model_is_read_as_django_ninja_reads_it(patient):
    patient.family_name = "Neu"
    patient.save()
    context = {"asked_by": "tests"}
    read = Probe.model_validate(patient, context=context).model_dump()
    assert read == Probe.model_validate(Forwarded(patient), context=context).model_dump()
    assert read["clinic"] == patient.clinic_id and read["clinic_name"] == patient.clinic.name
    assert read["labelled"] == "Neu (tests)" and read["get_sex_display"] == patient.get_sex_display()
    assert read["nickname"] == "none" and read["restricted_at"] is None
    assert [v["family_name"] for v in read["versions"]] == ["Neu", "Muster"]


def test_a_patient_answers_as_before(patient):
    assert PatientOut.model_validate(patient).model_dump() == PatientOut.model_validate(
        Forwarded(patient)).model_dump()


def test_a_field_the_model_lacks_is_missing(patient):
    class Lacking(Out):
        id: int
        no_such_field: str

    with pytest.raises(ValidationError) as refused:
        Lacking.model_validate(patient)
    assert [error["loc"] for error in refused.value.errors()] == [("no_such_field",)]


def test_django_ninjas_getter_is_asked_only_what_it_must_resolve(patient, monkeypatch):
    from ninja.schema import DjangoGetter

    asked = []
    ask = DjangoGetter.__getattr__
    monkeypatch.setattr(DjangoGetter, "__getattr__", lambda getter, key: asked.append(key) or ask(getter, key))
    Probe.model_validate(patient, context={"asked_by": "tests"})
    # The dotted path, the resolver and the field the patient lacks; the callable and the
    # manager, read already, are only converted.
    assert sorted(asked) == ["clinic.name", "labelled", "nickname"]


def test_a_property_is_read_once(patient, monkeypatch):
    reads = []

    def versions_listed(self):
        reads.append(self.pk)
        return list(self.versions.all())

    monkeypatch.setattr(type(patient), "versions_listed", property(versions_listed), raising=False)

    class Listed(Out):
        versions_listed: list[VersionProbe]

    assert len(Listed.model_validate(patient).versions_listed) == 1
    assert reads == [patient.pk]


def test_a_field_also_read_by_its_name_is_read_as_django_ninja_reads_it(patient):
    from pydantic import AliasChoices, ConfigDict

    class ByName(Out):
        model_config = ConfigDict(populate_by_name=True)
        family_name: str = Field(..., alias="no_such_attribute")

    class Either(Out):
        given: str = Field(..., validation_alias=AliasChoices("no_such_attribute", "given_name"))

    for schema in (ByName, Either):
        assert schema.model_validate(patient).model_dump() == schema.model_validate(Forwarded(patient)).model_dump()
    assert ByName.model_validate(patient).family_name == "Muster"
    assert Either.model_validate(patient).given == "Erika"
