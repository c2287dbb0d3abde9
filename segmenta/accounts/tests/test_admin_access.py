"""/admin/ for logged-in users: a server operator gets in, anyone else is told why not,
and nobody bounces between the admin's login page and the app's."""

from django.test import Client

from segmenta.conftest import login_verified, make_user


def test_a_logged_in_server_operator_reaches_the_admin(db, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x-long-password-1")
    client = login_verified(Client(), root)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200 and response.redirect_chain == []
    assert "Site administration" in response.content.decode()


def test_a_server_operator_sent_to_the_admins_login_goes_on_to_where_they_were_going(db, django_user_model):
    staff = make_user("operator", profession="")
    staff.is_staff = True
    staff.save()
    response = login_verified(Client(), staff).get("/admin/login/?next=/admin/accounts/clinic/")
    assert response.status_code == 302 and response.url == "/admin/accounts/clinic/"


def test_a_clinic_admin_gets_a_clear_refusal_instead_of_a_loop(admin_client):
    response = admin_client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert [url for url, _status in response.redirect_chain] == ["/admin/login/?next=/admin/"]
    html = response.content.decode()
    assert "Server administration is not open to this account" in html and "boss" in html
    assert 'href="/accounts/members/"' in html  # where a clinic admin manages the clinic instead


def test_a_practitioner_is_refused_too_and_pointed_back_to_the_patients(doctor_client):
    response = doctor_client.get("/admin/accounts/clinic/", follow=True)
    assert response.status_code == 403 and len(response.redirect_chain) == 1
    html = response.content.decode()
    assert "Ask your clinic admin" in html and 'href="/accounts/members/"' not in html


def test_the_logged_off_still_log_in_through_the_app_and_keep_where_they_were_going(db):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url == "/accounts/login/?next=%2Fadmin%2F"
