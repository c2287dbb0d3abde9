"""Questionnaires: the instruments Segmenta ships (NRS-11, PGIC, PSFS, PHQ-9, GAD-7, with
their German and Spanish texts as FHIR ``translation`` extensions, as the answer forms use
them) and those a clinic imported under its own licence (ids ci-N, seen only by that clinic).

They are not patient data and few, so a search filters them in Python: ``_id``, ``url``,
``name`` (name or title, any language), ``code`` (the Questionnaire's codes) and
``_lastUpdated`` (an imported one's import; a shipped one has none and matches no such
search)."""

from dataclasses import dataclass, field

from django.db.models import Q

from segmenta.accounts.models import Membership
from segmenta.outcomes.models import ClinicInstrument
from segmenta.outcomes.scoring import instruments
from segmenta.outcomes.translation import translations

from . import params
from .params import BadParameter

CLINIC_PREFIX = "ci"


@dataclass
class Shown:
    """One Questionnaire as the search pages it: ``pk`` is its resource id."""

    pk: str
    resource: dict
    last_updated: object = None


class Listed(list):
    """A list that pages like a queryset (``count()``, slices)."""

    def count(self, *args):
        return len(self)


def _clinic_rows(user):
    clinics = Membership.objects.filter(user=user).values("clinic_id")
    return ClinicInstrument.objects.filter(clinic_id__in=clinics).order_by("pk")


def _shown_clinic(row):
    resource_id = f"{CLINIC_PREFIX}-{row.pk}"
    return Shown(resource_id, {**row.resource, "id": resource_id}, row.created_at)


def _words(resource):
    texts = [resource.get("name") or "", resource.get("title") or ""]
    texts += translations(resource, "title").values()
    return " ".join(texts).casefold()


def _matches(shown, name, raw):
    resource = shown.resource
    if name == "_id":
        return shown.pk in raw.split(",")
    if name == "url":
        return resource.get("url") in raw.split(",")
    if name == "name":
        return all(word in _words(resource) for word in raw.casefold().split())
    if name == "code":
        codes = {(c.get("system"), c.get("code")) for c in resource.get("code", [])}
        return any((system, code) in codes if system else code in {c for _s, c in codes}
                   for system, code in params.tokens("code", raw))
    if name == "_lastUpdated":
        if shown.last_updated is None:
            return False
        wanted = params.date_range("_lastUpdated", raw)
        return _in_range(shown.last_updated, wanted)
    raise BadParameter(f"{name}: not a search parameter of Questionnaire here")


def _in_range(moment, wanted):
    inside = wanted.start <= moment < wanted.end
    return {"eq": inside, "ne": not inside, "ge": moment >= wanted.start, "gt": moment >= wanted.end,
            "le": moment < wanted.end, "lt": moment < wanted.start}[wanted.prefix]


@dataclass
class QuestionnaireSource:
    """The shipped instruments, then the clinics' own (``types.Source``'s interface where the
    views and the search need it)."""

    prefix: str = "questionnaire"
    related: tuple = field(default_factory=tuple)

    def to_resource(self, shown, resource_id):
        resource = dict(shown.resource)
        if shown.last_updated is not None:
            resource["meta"] = {**resource.get("meta", {}), "lastUpdated": shown.last_updated.isoformat()}
        return resource

    def resource_id(self, pk):
        return pk

    def pk_of(self, resource_id):
        return resource_id

    def patient_of(self, shown):
        return None

    def get(self, user, resource_id):
        head, _dash, tail = resource_id.rpartition("-")
        if head == CLINIC_PREFIX and tail.isdigit() and len(tail) <= 18:
            row = _clinic_rows(user).filter(pk=int(tail)).first()
            return _shown_clinic(row) if row else None
        resource = instruments().get(resource_id)
        return Shown(resource_id, resource) if resource else None

    def search(self, user, conditions):
        everything = [Shown(key, resource) for key, resource in instruments().items()]
        everything += [_shown_clinic(row) for row in _clinic_rows(user)]
        return Listed(shown for shown in everything
                      if all(_matches(shown, name, raw) for name, values in conditions.items() for raw in values))


def response_q(source, raw):
    """QuestionnaireResponses of the questionnaire ``raw`` names: Questionnaire/ID, ID or its canonical url."""
    found = Q(pk__in=[])
    for value in raw.split(","):
        if value.startswith(("http://", "https://", "urn:")):
            found |= Q(instrument__in=[key for key, resource in instruments().items() if resource.get("url") == value])
            for row in ClinicInstrument.objects.filter(resource__url=value).only("clinic_id", "instrument_id"):
                found |= Q(clinic_id=row.clinic_id, instrument=row.instrument_id)
            continue
        value = params.reference_id("questionnaire", value, "Questionnaire")
        head, _dash, tail = value.rpartition("-")
        if head == CLINIC_PREFIX and tail.isdigit() and len(tail) <= 18:
            row = ClinicInstrument.objects.filter(pk=int(tail)).only("clinic_id", "instrument_id").first()
            if row:
                found |= Q(clinic_id=row.clinic_id, instrument=row.instrument_id)
        elif value in instruments():
            found |= Q(instrument=value)
    return found
