"""What is worked out from a patient's whole chart, kept by each process between requests
under the patient's stamp (segmenta/patients/stamps.py).

Why: some of what a chart shows is costly to work out and changes only when the chart does
(the case export reads a dozen lists; a long course of sessions draws hundreds of points),
while the same charts are asked for again and again. The database renews a patient's stamp
with every write to the patient's data, so a value kept under the stamp read before the
data is never older than its key: after any change the next reader reads a new stamp and
works the value out again.

A caller reads ``stamp_key(patient)`` first, then reads the data, and adds to the key
whatever else the value depends on (the language, the time zone, the day, the knowledge base).
"""

import threading
from collections import OrderedDict

from django.db import connections
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone

from segmenta.prepared import Prepared

from . import stamps
from .models import Patient, PatientStamp, is_id

# The patient's stamp and the people's (the names of the users a chart shows), in one query.
_STAMPS = Prepared(lambda clinic_id, patient_id: PatientStamp.objects.filter(
    Q(clinic_id=clinic_id, patient_id=patient_id) | Q(clinic_id=stamps.PEOPLE[0], patient_id=stamps.PEOPLE[1])
).values_list("patient_id", "token"), int, int)


def stamp_key(patient):
    """The key of ``patient``'s data as stored now, or None where nothing may be kept: the
    database has no stamps (live checks the triggers) or the patient none yet (a migration
    drops them all). Inside a transaction the stamp may be the transaction's own: if it is
    rolled back, that random token is never seen again, so nothing kept under it is read."""
    using = patient._state.db or "default"
    connection = connections[using]
    if not stamps.live(connection):
        return None
    found = dict(_STAMPS(patient.clinic_id, patient.pk, using=using))
    people = stamps.PEOPLE[1]
    if patient.pk not in found or people not in found:
        return None
    return _key(using, patient.clinic_id, patient.pk, found[patient.pk], found[people])


def _key(using, clinic_id, patient_id, token, people):
    return (using, connections[using].settings_dict["NAME"], clinic_id, patient_id, token, people)


def _stamp_of(clinic_id, patient_id):
    return Subquery(PatientStamp.objects.filter(clinic_id=clinic_id, patient_id=patient_id).values("token")[:1])


# A patient of the user's clinics, its clinic's jurisdiction and both stamps, in one statement:
# one snapshot, so the stamps are exactly as old as the row.
_VISIBLE_STAMPED = Prepared(lambda user_id, pk: Patient.objects.filter(
    clinic__memberships__user_id=user_id, pk=pk).annotate(
    stamp=_stamp_of(OuterRef("clinic_id"), OuterRef("pk")), people=_stamp_of(*stamps.PEOPLE),
).values_list("clinic_id", "clinic__jurisdiction", "stamp", "people"), int, int)


def visible_stamp_key(user, pk, using="default"):
    """(clinic id, the clinic's jurisdiction, stamp_key of the patient or None) for the patient
    ``pk`` of ``user``'s clinics, in one query; anything else is a 404 that reveals nothing, as
    for_user_or_404. For a read that needs no more of the patient than what is kept under its
    stamp (the case export)."""
    found = _VISIBLE_STAMPED(user.pk, pk, using=using) if user.is_authenticated and is_id(pk) else []
    if not found:
        raise Http404("No patient matches the given query.")
    clinic_id, jurisdiction, token, people = found[0]
    if token is None or people is None or not stamps.live(connections[using]):
        return clinic_id, jurisdiction, None
    return clinic_id, jurisdiction, _key(using, clinic_id, pk, token, people)


class Kept:
    """Values kept under their keys, at most ``size`` of them and, where ``budget`` is given,
    at most that many units of ``weight`` (``len``: characters of markup) in all; the least
    recently used go first. Shared by the threads of a process. A value may be shared by many
    requests: it must not be changed."""

    def __init__(self, size, budget=None, weight=len):
        self.size, self.budget, self.weight = size, budget, weight
        self._values, self._lock = OrderedDict(), threading.Lock()
        self._weights, self._total = {}, 0

    def get(self, key, build):
        """The value kept under ``key``, else ``build()``, kept under it unless it is None
        (or alone weighs more than the budget). A key of None keeps nothing."""
        if key is None:
            return build()
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        value = build()
        weight = 0 if value is None or self.budget is None else self.weight(value)
        if value is None or (self.budget is not None and weight > self.budget):
            return value
        with self._lock:
            self._drop(key)  # (another thread may have kept it meanwhile)
            self._values[key], self._weights[key] = value, weight
            self._total += weight
            while len(self._values) > self.size or (self.budget is not None and self._total > self.budget):
                self._drop(next(iter(self._values)))
        return value

    def _drop(self, key):
        if key in self._values:
            del self._values[key]
            self._total -= self._weights.pop(key)

    def clear(self):
        with self._lock:
            self._values.clear()
            self._weights.clear()
            self._total = 0


# Techniques each practitioner is trained for today, under the people's stamp, which every
# change to a recorded training renews (stamps.py): one query fewer on every case export.
_TRAINED = Kept(1000)


def trained_techniques(profile, key):
    """``profile.trained_techniques()`` (today), kept under the people's stamp of ``key`` (a
    stamp_key; None keeps nothing)."""
    if key is None:
        return profile.trained_techniques()
    using, name, *_, people = key
    day = timezone.localdate()
    # Read as stored after the stamp, never records prefetched before it.
    return _TRAINED.get((using, name, people, profile.pk, day),
                        lambda: tuple(profile.trained_techniques(day, stored=True)))
