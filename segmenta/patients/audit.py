"""Audit helpers for views that show many patients at once."""

from segmenta.audit.trail import record, record_each


def record_list_view(request, patients, detail):
    """One event per clinic whose patients a list showed, naming the patients shown.

    Per clinic, so each clinic's admins see exactly the listings of their own patients;
    written in one insert.
    """
    # By id: a list need not have read each patient's clinic.
    record_list_view_of_ids(request, [(patient.clinic_id, patient.pk) for patient in patients], detail)


def record_list_view_of_ids(request, shown, detail):
    """record_list_view for the patients ``shown`` as (clinic id, patient id) pairs: for a list
    that reads rows, not patients (the API's)."""
    by_clinic = {}
    for clinic_id, patient_id in shown:
        by_clinic.setdefault(clinic_id, []).append(patient_id)
    if not by_clinic:
        record("view", request=request, object_type="patient_list", detail={**detail, "patients": []})
        return
    record_each("view", [{"clinic_id": clinic_id, "detail": {**detail, "patients": ids}}
                         for clinic_id, ids in by_clinic.items()],
                request=request, object_type="patient_list")
