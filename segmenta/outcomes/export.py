"""The pseudonymised research export: one row per complaint and session.

Only patients whose current consent covers research use (their latest consent, by date,
is given, not withdrawn and names ``research_use``; entries marked in error do not count),
and never a patient whose processing is restricted. No names, contact data or free text;
patients and complaints appear under keyed pseudonyms, birth dates as the age at the
session, and every date of a patient shifted by the same secret number of days (so
intervals stay true, calendar dates do not).

Pseudonymised, not anonymous (GDPR Art. 4(5)): whoever holds the installation's secret key
can link a row back to its patient, and sex, age, regions and dates together may identify
someone in a small practice. The data stay personal data and are handled as such.
"""

import csv
import hashlib
import hmac
import io
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db.models import Prefetch

from segmenta.patients.models import Consent
from segmenta.treatment.models import ComplaintScore, Injection

# The consent scope (vocabulary consent_scope) that lets a patient's data into the export.
RESEARCH_SCOPE = "research_use"

COLUMNS = ["patient", "sex", "age", "complaint", "regions", "organs", "session_date", "session_number",
           "nrs_before", "nrs_after", "injections", "targets", "total_mg", "adverse_events", "red_flags"]


def _key(kind, pk):
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return digest[:12]


def date_shift(patient_pk):
    """The patient's own shift: between −365 and +365 days, never 0, stable per installation."""
    value = int(_key("shift", patient_pk), 16) % 730 - 365
    return timedelta(days=value or 1)


def consenting_patients(clinics):
    """Ids of the patients of ``clinics`` whose current consent covers research use."""
    consents = (Consent.objects.filter(patient__clinic__in=clinics, patient__restricted_at__isnull=True,
                                       entered_in_error_at__isnull=True)
                .order_by("patient_id", "-date", "-id").values_list("patient_id", "decision", "withdrawn_on", "scopes"))
    latest = {}
    for patient_id, decision, withdrawn_on, scopes in consents:
        latest.setdefault(patient_id, (decision, withdrawn_on, scopes or []))
    return sorted(pk for pk, (decision, withdrawn_on, scopes) in latest.items()
                  if decision == Consent.Decision.GIVEN and withdrawn_on is None and RESEARCH_SCOPE in scopes)


def rows(clinics):
    scores = (ComplaintScore.objects.filter(complaint__patient__clinic__in=clinics,
                                            complaint__patient__in=consenting_patients(clinics))
              .select_related("complaint", "complaint__patient", "session")
              .prefetch_related(Prefetch("session__injections", queryset=Injection.objects.order_by("order")),
                                "session__adverse_events")
              .order_by("complaint__patient_id", "complaint_id", "session__started_at"))
    number = {}
    for score in scores.iterator(chunk_size=2000):
        patient, complaint, session = score.complaint.patient, score.complaint, score.session
        shift = date_shift(patient.pk)
        number[complaint.pk] = number.get(complaint.pk, 0) + 1
        started = session.started_at.date()
        age = started.year - patient.birth_date.year - (
            (started.month, started.day) < (patient.birth_date.month, patient.birth_date.day))
        injections = list(session.injections.all())
        yield {
            "patient": _key("patient", patient.pk),
            "sex": patient.sex,
            "age": age,
            "complaint": _key("complaint", complaint.pk),
            "regions": ";".join(r.get("region") or f"choir:{r['choir']}" for r in complaint.regions),
            "organs": ";".join(complaint.organs),
            "session_date": (started + shift).isoformat(),
            "session_number": number[complaint.pk],
            "nrs_before": score.pre_nrs,
            "nrs_after": score.post_nrs,
            "injections": len(injections),
            "targets": ";".join(i.target for i in injections),
            "total_mg": float(sum(i.mg for i in injections)),
            "adverse_events": ";".join(e.kind for e in session.adverse_events.all()),
            "red_flags": ";".join(complaint.findings),
        }


def to_csv(clinics):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    count = 0
    for row in rows(clinics):
        writer.writerow(row)
        count += 1
    return out.getvalue().encode("utf-8"), count


def to_parquet(clinics):
    data = list(rows(clinics))
    schema = pa.schema([("patient", pa.string()), ("sex", pa.string()), ("age", pa.int32()),
                        ("complaint", pa.string()), ("regions", pa.string()), ("organs", pa.string()),
                        ("session_date", pa.string()), ("session_number", pa.int32()), ("nrs_before", pa.int32()),
                        ("nrs_after", pa.int32()), ("injections", pa.int32()), ("targets", pa.string()),
                        ("total_mg", pa.float64()), ("adverse_events", pa.string()), ("red_flags", pa.string())])
    table = pa.Table.from_pylist(data, schema=schema)
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue(), len(data)
