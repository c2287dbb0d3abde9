from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("patients/<int:patient_id>/", views.index, name="index"),
    path("patients/<int:patient_id>/referral/", views.referral, name="referral"),
    path("patients/<int:patient_id>/record-copy/", views.record_copy, name="record_copy"),
    path("patients/<int:patient_id>/record-copy.pdf", views.record_copy_pdf, name="record_copy_pdf"),
    path("patients/<int:patient_id>/record-copy.fhir.json", views.record_copy_fhir, name="record_copy_fhir"),
    path("patients/<int:patient_id>/leaflets/<slug:leaflet_id>/", views.leaflet, name="leaflet"),
    path("patients/<int:patient_id>/leaflets/<slug:leaflet_id>.pdf", views.leaflet_pdf, name="leaflet_pdf"),
    path("sessions/<int:session_id>/note/", views.session_note, name="session_note"),
    path("sessions/<int:session_id>/note.pdf", views.session_note_pdf, name="session_note_pdf"),
    path("plans/<int:plan_id>/course-letter/", views.course_letter, name="course_letter"),
    path("plans/<int:plan_id>/course-letter.pdf", views.course_letter_pdf, name="course_letter_pdf"),
    path("consents/<int:consent_id>/sheet/", views.consent_sheet, name="consent_sheet"),
    path("consents/<int:consent_id>/sheet.pdf", views.consent_sheet_pdf, name="consent_sheet_pdf"),
]
