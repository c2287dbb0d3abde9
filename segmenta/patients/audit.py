"""Audit helpers for views that show many patients at once."""

from segmenta.audit.trail import record, record_each


def record_list_view(request, patients, detail):
    """One event per clinic whose patients a list showed, naming the patients shown.

    Per clinic, so each clinic's admins see exactly the listings of their own patients;
    written in one insert. ``patients`` may also be (clinic id, patient id) pairs.
    """
    by_clinic = {}
    for patient in patients:  # by id: a list need not have read each patient's clinic
        clinic_id, patient_id = patient if isinstance(patient, tuple) else (patient.clinic_id, patient.pk)
        by_clinic.setdefault(clinic_id, []).append(patient_id)
    if not by_clinic:
        record("view", request=request, object_type="patient_list", detail={**detail, "patients": []})
        return
    record_each("view", [{"clinic_id": clinic_id, "detail": {**detail, "patients": ids}}
                         for clinic_id, ids in by_clinic.items()],
                request=request, object_type="patient_list")
