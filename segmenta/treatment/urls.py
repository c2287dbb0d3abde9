from django.urls import path

from . import emergency_views, stock_views, views

app_name = "treatment"

urlpatterns = [
    path("patients/<int:pk>/plans/new/", views.plan_new, name="plan_new"),
    path("patients/<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/injections/", views.injection_add, name="injection_add"),
    path("sessions/<int:session_id>/injections/check/", views.injection_check, name="injection_check"),
    path("sessions/<int:session_id>/injections/<int:injection_id>/response/", views.response_edit,
         name="response_edit"),
    path("sessions/<int:session_id>/injections/<int:injection_id>/remove/", views.injection_remove,
         name="injection_remove"),
    path("sessions/<int:session_id>/discard/", views.session_discard, name="discard"),
    path("sessions/<int:session_id>/notes/", views.notes_edit, name="notes_edit"),
    path("sessions/<int:session_id>/scores/", views.score_add, name="score_add"),
    path("sessions/<int:session_id>/adverse-events/", views.event_add, name="event_add"),
    path("sessions/<int:session_id>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path("sessions/<int:session_id>/sign/", views.session_sign, name="sign"),
    path("sessions/<int:session_id>/amendments/", views.amendment_add, name="amendment_add"),
    path("products/", emergency_views.products, name="products"),
    path("products/<int:product_id>/", emergency_views.product_edit, name="product_edit"),
    path("lots/", emergency_views.lots, name="lots"),
    path("stock/", stock_views.stock, name="stock"),
    path("stock/receive/", stock_views.stock_receive, name="stock_receive"),
    path("stock/lots/<int:lot_id>/", stock_views.stock_lot, name="stock_lot"),
    path("stock/lots/<int:lot_id>/write-off/", stock_views.stock_write_off, name="stock_write_off"),
    path("emergency-equipment/", emergency_views.equipment_check, name="equipment_check"),
    path("adverse-events/<int:event_id>/report.pdf", emergency_views.event_report_pdf, name="event_report_pdf"),
    path("adverse-events/<int:event_id>/report.csv", emergency_views.event_report_csv, name="event_report_csv"),
    path("adverse-events/<int:event_id>/reported/", emergency_views.event_reported, name="event_reported"),
]
