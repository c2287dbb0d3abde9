"""Continuing education between the database and the arithmetic (segmenta/learning/cme.py):
which requirements apply to whom, and where each member stands. The views stay thin; the
team view loads everyone's records in a fixed number of queries (see ``team``)."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from segmenta.accounts.models import Membership, TrainingRecord
from segmenta.knowledge import localize

from . import cme
from .models_ce import ClinicRequirement, TrainingCycle


def as_record(item):
    return cme.Record(day=item.date, credits=item.credits, kind=item.kind, body=item.awarding_body,
                      expiry=item.expiry, key=item.pk)


def _jurisdiction_matches(codes, jurisdiction):
    """``any``, the clinic's code, or its country (``US`` covers ``US-OR``)."""
    if "any" in codes:
        return True
    if not jurisdiction:
        return False
    return jurisdiction in codes or jurisdiction.split("-")[0] in codes


@dataclass
class Standing:
    """One requirement as it applies to one practitioner today."""

    key: str  # "kb:<id>" or "clinic:<pk>"
    name: str
    requirement: cme.Requirement
    status: cme.Status
    entry: dict | None = None  # the knowledge-base requirement (sources, verified)
    clinic_requirement: ClinicRequirement | None = None

    @property
    def from_knowledge_base(self):
        return self.entry is not None

    @property
    def not_counted(self):
        """A condition of the duty the credits alone do not show (the knowledge base's
        ``not_counted``): with it, reached credits are "met as far as counted", never "met"."""
        return localize.text(self.entry, "not_counted") if self.entry else ""


def kb_requirements(kb, clinic, profession):
    """The knowledge base's requirements for a ``profession`` where ``clinic`` practises."""
    if not profession or "cme-requirement" not in kb.kinds():
        return []
    return [e for e in kb.all("cme-requirement")
            if profession in e["professions"] and _jurisdiction_matches(e["jurisdictions"], clinic.jurisdiction)]


def unknowns(clinic, profession):
    """What is not recorded that decides which statutory requirements apply ("jurisdiction",
    "profession"): without it an empty list of requirements means "unknown", never "none"."""
    return [name for name, value in (("jurisdiction", clinic.jurisdiction), ("profession", profession))
            if not value]


def standings(*, kb, clinic, role, profession, records, cycles, clinic_requirements, today=None):
    """Every requirement that applies to a member of ``clinic`` with ``role`` and
    ``profession``: the knowledge base's (each in the member's own period from ``cycles``,
    {requirement id: start}) and the clinic's own."""
    today = today or timezone.localdate()
    plain = [as_record(r) for r in records]
    found = []
    for entry in kb_requirements(kb, clinic, profession):
        requirement = cme.Requirement(credits=entry["credits"], period_years=entry["period_years"],
                                      cycle_start=cycles.get(entry["id"]))
        found.append(Standing(key=f"kb:{entry['id']}", name=localize.text(entry), requirement=requirement,
                              status=cme.status(requirement, plain, today), entry=entry))
    for own in clinic_requirements:
        if own.clinic_id != clinic.pk or not own.applies_to(role, profession):
            continue
        requirement = cme.Requirement(credits=own.credits, period_years=own.period_years,
                                      cycle_start=own.cycle_start, kinds=tuple(own.kinds),
                                      bodies=tuple(own.awarding_bodies))
        found.append(Standing(key=f"clinic:{own.pk}", name=own.name, requirement=requirement,
                              status=cme.status(requirement, plain, today), clinic_requirement=own))
    return found


def certificates(records, today=None):
    """The records whose certificates expire within 90 days, and those that have expired."""
    today = today or timezone.localdate()
    by_key = {r.pk: r for r in records}
    found = cme.certificates([as_record(r) for r in records], today)
    return {name: [by_key[r.key] for r in items] for name, items in found.items()}


def profession_of(profile):
    """The profession the requirements go by: the verified one, else the one recorded (a
    reminder of a duty does no harm before an admin has verified it)."""
    if profile is None:
        return ""
    return profile.verified_profession or profile.profession


@dataclass
class Member:
    membership: Membership
    profile: object
    records: list
    standings: list
    certificates: dict
    unknown: list = None  # see unknowns(): what keeps the statutory requirements from being told

    @property
    def user(self):
        return self.membership.user

    @property
    def behind(self):
        return [s for s in self.standings if not s.status.met]


def team(kb, clinic, today=None):
    """Each member of ``clinic`` with where they stand: four queries whatever the team's size
    (members with their profiles, their records, their periods, the clinic's requirements)."""
    today = today or timezone.localdate()
    memberships = list(
        Membership.objects.filter(clinic=clinic).select_related("user", "user__profile").prefetch_related(
            Prefetch("user__profile__training_records", queryset=TrainingRecord.objects.order_by("-date", "course")),
            Prefetch("user__training_cycles", queryset=TrainingCycle.objects.all()),
        ).order_by("user__last_name", "user__first_name", "user__username"))
    own = list(ClinicRequirement.objects.filter(clinic=clinic))
    members = []
    for membership in memberships:
        profile = getattr(membership.user, "profile", None)
        records = list(profile.training_records.all()) if profile is not None else []
        cycles = {c.requirement: c.starts for c in membership.user.training_cycles.all()}
        profession = profession_of(profile)
        members.append(Member(
            membership=membership, profile=profile, records=records,
            standings=standings(kb=kb, clinic=clinic, role=membership.role, profession=profession,
                                records=records, cycles=cycles, clinic_requirements=own, today=today),
            certificates=certificates(records, today), unknown=unknowns(clinic, profession)))
    return members
