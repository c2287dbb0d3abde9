from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("mfa/", views.mfa_view, name="mfa"),
    path("logout/", views.logout_view, name="logout"),
    path("alive/", views.alive_view, name="alive"),
    path("reauth/", views.reauth_view, name="reauth"),
    path("profile/", views.profile_view, name="profile"),
    path("profile/language/", views.profile_language, name="profile_language"),
    path("profile/training/", views.training_add, name="training_add"),
    path("profile/training/<int:pk>/delete/", views.training_delete, name="training_delete"),
    path("training/<int:pk>/certificate/", views.certificate_view, name="certificate"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("members/", views.members_view, name="members"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("members/<int:pk>/reset-mfa/", views.member_reset_mfa, name="member_reset_mfa"),
    path("members/<int:pk>/licence/", views.member_licence, name="member_licence"),
    path("clinic/", views.clinic_settings, name="clinic_settings"),
    path("clinic/<int:pk>/", views.clinic_settings_save, name="clinic_settings_save"),
]
