"""Fixtures shared by every app's tests: clinics, users with roles, logged-in clients,
API tokens, and a real Chromium driven by Playwright for browser tests."""

import os
import shutil
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread
from django.utils import translation
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.accounts.models import ApiToken, Clinic, Membership, PractitionerProfile
from segmenta.audit.query import _windows as recent_access_windows
from segmenta.patients.models import Patient

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("SEGMENTA_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    # Argon2 is what production uses (tested in test_security); elsewhere a fast hasher
    # keeps hundreds of logins quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.Argon2PasswordHasher"]
    settings.SEGMENTA_REQUIRE_MFA = True
    # Sealing after requests depends on the clock; tests seal when they mean to.
    settings.SEGMENTA_AUDIT_SEAL_SECONDS = 0
    # Each test's process has looked at no chart's Recent access yet: the test database rolls
    # back, so a window kept from the test before would meet its ids again with other events,
    # notice it (as after a restore) and read anew, one query more than the baselines count.
    recent_access_windows.clear()
    yield
    # A request in German or Spanish leaves its language active in the thread (LocaleMiddleware
    # activates, nothing deactivates): the next test starts in English again.
    translation.deactivate()


def reauthenticated(client):
    """A test client that has just typed its password again (exports, user management)."""
    session = client.session
    session["reauth_at"] = time.time()
    session.save()
    return client


def make_user(username, clinic=None, role="practitioner", profession="physician", password=PASSWORD):
    user = get_user_model().objects.create_user(username=username, password=password)
    # A profession in these fixtures stands for one a clinic admin has verified.
    PractitionerProfile.objects.create(user=user, profession=profession,
                                       verified_at=timezone.now() if profession else None)
    if clinic is not None:
        Membership.objects.create(user=user, clinic=clinic, role=role)
    return user


def add_totp(user):
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login_verified(client, user):
    """Log a test client in with password and second factor already passed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or add_totp(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def clinic(db):
    return Clinic.objects.create(name="Praxis Nord")


@pytest.fixture
def other_clinic(db):
    return Clinic.objects.create(name="Praxis Süd")


@pytest.fixture
def doctor(clinic):
    return make_user("doctor", clinic, "practitioner", "physician")


@pytest.fixture
def admin_user(clinic):
    return make_user("boss", clinic, "admin", "physician")


@pytest.fixture
def assistant(clinic):
    return make_user("assist", clinic, "assistant", "")


@pytest.fixture
def outsider(other_clinic):
    return make_user("outsider", other_clinic, "practitioner", "physician")


@pytest.fixture
def doctor_client(doctor):
    return login_verified(Client(), doctor)


@pytest.fixture
def admin_client(admin_user):
    return login_verified(Client(), admin_user)


def make_patient(clinic, family="Muster", given="Erika", **extra):
    extra.setdefault("birth_date", "1970-01-02")
    extra.setdefault("sex", "female")
    return Patient.objects.create(clinic=clinic, family_name=family, given_name=given, **extra)


@pytest.fixture
def patient(clinic):
    return make_patient(clinic)


def complete_chart(patient, user, on=None):
    """What a careful intake records before the first injection, so that the safety check
    has nothing unknown to warn about: allergies and medications reviewed, consent to
    injection therapy, a current "not pregnant" where it matters."""
    from segmenta.patients import models as pm

    on = on or timezone.localdate()
    for kind in ("allergies", "medications"):
        pm.ChartReview.objects.create(patient=patient, kind=kind, date=on, recorded_by=user)
    pm.Consent.objects.create(patient=patient, date=on, scope="Neural therapy with procaine",
                              scopes=["injection_therapy"], method="signature", signature_svg="M 1 1 L 5 5",
                              recorded_by=user)
    pm.PregnancyStatus.objects.create(patient=patient, date=on, status="not_pregnant", recorded_by=user)
    return patient


@pytest.fixture
def foreign_patient(other_clinic):
    return make_patient(other_clinic, family="Fremd", given="Franz")


@pytest.fixture
def api_client(doctor):
    """A client that sends the doctor's bearer token with every request."""
    _token, raw = ApiToken.issue(doctor, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def admin_api_client(admin_user):
    _token, raw = ApiToken.issue(admin_user, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- Browser ------------------------------------------------------------------------

class _OneRequestAtATime(ThreadedWSGIServer):
    """The live server for browser tests on SQLite, running one request at a time.

    The in-memory test database is a single connection that the server shares with the
    test. Django's threaded live server would run a page's concurrent requests (htmx checks
    as fields change, the session save) on that one connection at once, which SQLite
    refuses now and then ("cannot start a transaction within a transaction"). Connections
    are still accepted and read in threads (a browser's idle preconnection must not stall
    the others); only the application runs one request at a time. The app itself runs on a
    file database, with a connection per thread.

    Between tests the server is closed: a request the browser sent just before its context
    closed (a favicon, a late htmx check) would otherwise run on that shared connection
    while the test's teardown empties the database, and its rollback could undo half of
    the flush (CI saw "trigger already exists" and then a clinic left behind)."""

    lock = threading.Lock()
    closed = False

    def set_app(self, application):
        def one_at_a_time(environ, start_response):
            with self.lock:
                if _OneRequestAtATime.closed:
                    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                    return [b"the test is over"]
                return application(environ, start_response)

        super().set_app(one_at_a_time)

    @classmethod
    def open(cls):
        cls.closed = False

    @classmethod
    def close_and_wait(cls):
        """No request starts after this; the one running (if any) has finished."""
        cls.closed = True
        with cls.lock:
            pass


if "sqlite" in django_settings.DATABASES["default"]["ENGINE"]:
    LiveServerThread.server_class = _OneRequestAtATime


@pytest.fixture(scope="session")
def _chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = (f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium); "
                   "set SEGMENTA_CHROMIUM to use another path")
        if os.environ.get("SEGMENTA_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def browser_login(page, username="doctor", password=PASSWORD):
    """Log in through the real login page (tests turn the second factor off first), by its
    fields, whatever language the page speaks (test_browser_login reads its labels)."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form:has(#id_password) button[type=submit]").click()
    page.wait_for_url("**/patients/")


@pytest.fixture
def browser_pages(_chromium, live_server):
    """Opens pages in browsers of their own: ``browser_pages(locale="de-DE", size=(1366, 900),
    javascript=True)``; the locale is the browser's language (its Accept-Language)."""
    contexts = []

    def open_page(locale="en-US", size=(1024, 768), javascript=True):
        context = _chromium.new_context(viewport={"width": size[0], "height": size[1]}, base_url=live_server.url,
                                        locale=locale, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    _OneRequestAtATime.open()
    yield open_page
    for context in contexts:
        context.close()
    # The database is emptied after this fixture; no request may run on it meanwhile.
    _OneRequestAtATime.close_and_wait()


@pytest.fixture
def page(browser_pages):
    # A tablet-sized viewport: the treatment-room device the app is built for.
    return browser_pages()
