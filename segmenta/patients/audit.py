"""Audit helpers for views that show many patients at once."""

from segmenta.audit.trail import record


def record_list_view(request, patients, detail):
    """One event per clinic whose patients a list showed, naming the patients shown.

    Per clinic, so each clinic's admins see exactly the listings of their own patients.
    """
    by_clinic = {}
    for patient in patients:  # by id: a list need not have read each patient's clinic
        by_clinic.setdefault(patient.clinic_id, []).append(patient.pk)
    if not by_clinic:
        record("view", request=request, object_type="patient_list", detail={**detail, "patients": []})
    for clinic_id, ids in by_clinic.items():
        record("view", request=request, clinic_id=clinic_id, object_type="patient_list",
               detail={**detail, "patients": ids})
