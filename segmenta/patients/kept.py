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
from django.db.models import Q

from segmenta.prepared import Prepared

from . import stamps
from .models import PatientStamp

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
    return (using, connection.settings_dict["NAME"], patient.clinic_id, patient.pk, found[patient.pk], found[people])


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
