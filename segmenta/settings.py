"""Django settings for Segmenta, read from the environment.

Environment variables:

- ``DATABASE_URL``: any URL dj-database-url understands. Default: SQLite at
  ``./var/segmenta.sqlite3`` (WAL mode).
- ``SEGMENTA_ENV``: ``development`` (default) or ``production``.
- ``SEGMENTA_SECRET_KEY``: required in production. In development a random key is
  generated once and kept in ``./var/secret_key`` so sessions survive restarts.
- ``SEGMENTA_ALLOWED_HOSTS``: comma-separated host names; required in production.
- ``SEGMENTA_REQUIRE_MFA``: TOTP second factor for every user (default on).
- ``SEGMENTA_IDLE_TIMEOUT_MINUTES``: automatic logoff after this much inactivity (15).
- ``SEGMENTA_VAR_DIR``: where the default database, secret key and uploads live (./var).
- ``SEGMENTA_TIME_ZONE``: the clinic's time zone (Europe/Berlin).
- ``SEGMENTA_MAX_REQUEST_BYTES``: largest request body accepted (11 MB); larger ones get 413.
- ``SEGMENTA_TOKEN_DAYS``: how long a new API token is valid unless its creator says (90).
- ``DATABASE_REPLICA_URL``: a PostgreSQL streaming replica that reports read from, while it
  is at most ``SEGMENTA_REPLICA_MAX_LAG_SECONDS`` (60) behind.
- ``SEGMENTA_AUDIT_SEAL_SECONDS``: how often a process seals new audit events after a
  request (5; 0 leaves it to `segmenta audit seal`, e.g. from cron).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent


def env_flag(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


SEGMENTA_ENV = os.environ.get("SEGMENTA_ENV", "development").strip() or "development"
if SEGMENTA_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"SEGMENTA_ENV must be 'development' or 'production', got {SEGMENTA_ENV!r}")
PRODUCTION = SEGMENTA_ENV == "production"

VAR_DIR = Path(os.environ.get("SEGMENTA_VAR_DIR", "var")).resolve()
if VAR_DIR == PACKAGE_DIR or PACKAGE_DIR in VAR_DIR.parents:
    # A command run from inside the package would otherwise leave a database and a key there.
    raise ImproperlyConfigured(f"SEGMENTA_VAR_DIR resolves to {VAR_DIR}, inside the package {PACKAGE_DIR}; "
                               "run from the project folder or set SEGMENTA_VAR_DIR elsewhere")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = not PRODUCTION


def _secret_key():
    key = os.environ.get("SEGMENTA_SECRET_KEY", "").strip()
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SEGMENTA_SECRET_KEY must be set when SEGMENTA_ENV=production")
    # Development: one random key per checkout, never committed.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("SEGMENTA_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if PRODUCTION:
        raise ImproperlyConfigured("SEGMENTA_ALLOWED_HOSTS must be set when SEGMENTA_ENV=production")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = env_list("SEGMENTA_CSRF_TRUSTED_ORIGINS")

SEGMENTA_REQUIRE_MFA = env_flag("SEGMENTA_REQUIRE_MFA", True)
# Days a new API token stays valid, unless whoever creates it chooses otherwise.
SEGMENTA_TOKEN_DAYS = int(os.environ.get("SEGMENTA_TOKEN_DAYS") or 90)
# Number of trusted reverse proxies in front of the app (0: clients connect directly).
# Lockout and the audit trail then take the client address from X-Forwarded-For.
SEGMENTA_PROXY_COUNT = int(os.environ.get("SEGMENTA_PROXY_COUNT", "0"))
# Seconds between a process's seals of new audit events into their clinic's chain.
SEGMENTA_AUDIT_SEAL_SECONDS = float(os.environ.get("SEGMENTA_AUDIT_SEAL_SECONDS") or 5)
SEGMENTA_IDLE_TIMEOUT = timedelta(minutes=float(os.environ.get("SEGMENTA_IDLE_TIMEOUT_MINUTES", "15")))
# How long a re-authentication unlocks sensitive actions (exports, user management).
SEGMENTA_REAUTH_WINDOW = timedelta(minutes=float(os.environ.get("SEGMENTA_REAUTH_MINUTES", "5")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",
    "simple_history",
    "segmenta.audit",
    "segmenta.accounts",
    "segmenta.patients",
    "segmenta.knowledge",
    "segmenta.assessment",
    "segmenta.treatment",
    "segmenta.outcomes",
    "segmenta.scheduling",
    "segmenta.billing",
    "segmenta.learning",
    "segmenta.interop",
    "segmenta.api",
    "segmenta.demo",
    "segmenta.documents",
]

# Widgets render through the project's templates, so segmenta/templates/django/forms/ can
# word what Django leaves technical (a select's blank "---------").
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

MIDDLEWARE = [
    # First: a request over the size limit is refused before anything reads its body.
    "segmenta.accounts.request_size.limit_request_size",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "segmenta.accounts.middleware.security_headers",
    # segmenta.accounts.pages_only.X is X for the pages; the APIs (token, not session; JSON,
    # not pages) pass it by.
    "segmenta.accounts.pages_only.CSPMiddleware",
    "segmenta.accounts.pages_only.SessionMiddleware",
    # Django's, with an API request's language worked out once per cookie and header.
    "segmenta.accounts.language.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Itself on the APIs too (Django's deploy check looks for it by name): their views are
    # exempt, so it only looks.
    "django.middleware.csrf.CsrfViewMiddleware",
    "segmenta.accounts.middleware.reject_nul",
    "segmenta.accounts.pages_only.AuthenticationMiddleware",
    # The interface language the user chose in the profile (else the browser's, as above).
    "segmenta.accounts.pages_only.user_language",
    "segmenta.accounts.pages_only.OTPMiddleware",
    "segmenta.accounts.pages_only.idle_logoff",
    "segmenta.accounts.pages_only.require_mfa",
    "segmenta.accounts.pages_only.MessageMiddleware",
    # A change refused because the patient's processing is restricted answers 423 with a page saying why.
    "segmenta.patients.restriction.RestrictedMiddleware",
    # Who made each version of a chart item (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the outcome of authenticate() in the view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "segmenta.urls"
WSGI_APPLICATION = "segmenta.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "segmenta.accounts.context_processors.segmenta",
            ],
            # {% url %} remembering the addresses it reversed (segmenta/template_urls.py).
            # {% topbar %}, every page's top bar kept drawn (segmenta/template_frame.py).
            "builtins": ["segmenta.template_urls", "segmenta.template_frame"],
        },
    },
]

# --- Database -------------------------------------------------------------------
def database_from_url(url):
    """The database settings for `url`. A server database keeps connections open for a
    minute, and checks one is still alive before reusing it: after a database restart the
    first request of each worker would otherwise fail on a dead connection. SQLite keeps its
    connection too (a file does not restart): opening one per request (and setting it up)
    cost more than half of a simple API read (benchmarks/http.py: 268 → 640 requests/s)."""
    db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Django's, keeping the query planner's statistics current (segmenta/sqlite_backend).
        db["ENGINE"] = "segmenta.sqlite_backend"
        db["CONN_MAX_AGE"] = 600
        db["CONN_HEALTH_CHECKS"] = False
        db["OPTIONS"] = _SQLITE_OPTIONS
    elif db["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a statement of more values than the server binds bound on the client.
        db["ENGINE"] = "segmenta.postgresql_backend"
        db["OPTIONS"] = {**db.get("OPTIONS", {}), **_postgresql_options()}
    return db


_SQLITE_OPTIONS = {
    # WAL lets readers continue while one writer writes; IMMEDIATE takes the write
    # lock at the start of a transaction so two writers queue instead of failing
    # half-way (a read-then-write such as sealing the audit trail's next block).
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    # Django asks the sqlite3 module to parse every date and time column of every row as it
    # is read (detect_types), yet its own converters parse them as well where a model or an
    # expression reads them (they take text or a parsed value alike). Without it, rows read
    # only to be compared (the API's list keeps each patient's JSON under the row,
    # api/patients.py) cost no parsing: 64 dates of 16 patients, a twentieth of the list.
    "detect_types": 0,
}


def _postgresql_options():
    """Values travel apart from the SQL, so the server can keep a statement it has parsed:
    psycopg prepares a statement once a connection has run it a few times, and from then on
    sends only its name and values (PostgreSQL still plans it anew for its first runs, and
    later while a plan for the values at hand stays cheaper). Parsing and planning anew was
    most of PostgreSQL's processor time on an API read (an uncached case export: 5.4 -> 2.6
    ms, in docs/scaling.md). Django's default binds values into the SQL text on the client
    and prepares nothing. A pooler in transaction mode must then keep prepared statements
    (PgBouncer 1.21 or later with max_prepared_statements set), or SEGMENTA_DB_SERVER_BINDING=0
    turns both off. A kept plan fails once a migration changes a column's type under it:
    restart the server after ``segmenta migrate`` (README)."""
    on = os.environ.get("SEGMENTA_DB_SERVER_BINDING", "1") != "0"
    return {"server_side_binding": on, "prepare_threshold": 5 if on else None}


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'segmenta.sqlite3'}")}
# A PostgreSQL streaming replica for reports (segmenta/replica.py). In tests it mirrors the
# test database, which streaming replication copies to it like any other.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database_from_url(os.environ["DATABASE_REPLICA_URL"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["segmenta.replica.ReplicaRouter"]
# Reports fall back to the primary when the replica is further behind than this.
SEGMENTA_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("SEGMENTA_REPLICA_MAX_LAG_SECONDS") or 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and security ----------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "segmenta.accounts.backends.ModelBackend",  # Django's, reading the user by a prepared query
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "patients:list"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = int(os.environ.get("SEGMENTA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("SEGMENTA_LOCKOUT_MINUTES", "15")))
# Lock the account from the address that guessed, so an attacker elsewhere cannot
# lock a whole clinic out of its own accounts.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # our own audit trail records logins
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "segmenta.audit.trail.client_ip"

OTP_TOTP_ISSUER = "Segmenta"
OTP_TOTP_THROTTLE_FACTOR = 1

SESSION_ENGINE = "segmenta.accounts.sessions"  # Django's database sessions, read by a prepared query
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60  # the idle logoff ends sessions much sooner
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_flag("SEGMENTA_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SEGMENTA_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if SEGMENTA_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Request bodies above this are refused (413 in the API) before anything is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
SEGMENTA_MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # certificate scans
# Every request: refused at the door (413) when its Content-Length says more, before the
# body is read; a little above the upload limit for the form fields around a scan.
SEGMENTA_MAX_REQUEST_BYTES = int(os.environ.get("SEGMENTA_MAX_REQUEST_BYTES") or SEGMENTA_MAX_UPLOAD_BYTES + 1024 * 1024)

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Dates and numbers follow the active language (German 01.03.2026 and 72,5; Spanish
# 01/03/2026 and 72,5); English keeps the ISO dates of its pages (segmenta/formats/en).
FORMAT_MODULE_PATH = ["segmenta.formats"]
USE_I18N = True
TIME_ZONE = os.environ.get("SEGMENTA_TIME_ZONE", "Europe/Berlin")
USE_TZ = True

# --- Files ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# htmx comes from package-lock.json (`make install` runs npm ci). Without it the pages
# still work through their buttons, only without live updates.
HTMX_DIR = Path(os.environ.get("SEGMENTA_HTMX_DIR", PACKAGE_DIR.parent / "node_modules" / "htmx.org" / "dist"))
HTMX = (HTMX_DIR / "htmx.min.js").is_file()
if HTMX:
    STATICFILES_DIRS.append(("vendor/htmx", HTMX_DIR))
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it, even before collectstatic
# Outside production, serve straight from the apps (no collectstatic needed, tests included).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # WhiteNoise's, each address worked out once (segmenta/static_storage.py).
        "BACKEND": "segmenta.static_storage.ManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files hold patient and staff data: they are never served as static files,
# only through views that check permissions.
MEDIA_ROOT = VAR_DIR / "uploads"
MEDIA_URL = "/uploads/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- Messages to patients (reminders and recall) -------------------------------------
# Django's mail framework, configured from the environment. Without SEGMENTA_EMAIL_HOST
# nothing leaves the machine outside production: mail is printed (the console backend),
# as in the local demo. Tests use Django's in-memory outbox whatever is set here.
_EMAIL_BACKENDS = {"smtp": "django.core.mail.backends.smtp.EmailBackend",
                   "console": "django.core.mail.backends.console.EmailBackend",
                   "locmem": "django.core.mail.backends.locmem.EmailBackend"}
_email_backend = os.environ.get("SEGMENTA_EMAIL_BACKEND", "").strip() or (
    "smtp" if PRODUCTION or os.environ.get("SEGMENTA_EMAIL_HOST") else "console")
EMAIL_BACKEND = _EMAIL_BACKENDS.get(_email_backend, _email_backend)
EMAIL_HOST = os.environ.get("SEGMENTA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("SEGMENTA_EMAIL_PORT") or 25)
EMAIL_HOST_USER = os.environ.get("SEGMENTA_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SEGMENTA_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("SEGMENTA_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_flag("SEGMENTA_EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("SEGMENTA_EMAIL_USE_TLS and SEGMENTA_EMAIL_USE_SSL exclude each other; set one")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("SEGMENTA_DEFAULT_FROM_EMAIL", "segmenta@localhost")
# SMS: a dotted path to a segmenta.scheduling.sms.SmsBackend; empty sends no SMS at all.
# "console" and "locmem" name the two shipped ones (printing; an in-memory outbox for tests).
SEGMENTA_SMS_BACKEND = os.environ.get("SEGMENTA_SMS_BACKEND", "").strip()
# Appointment reminders go out this many hours before the appointment.
SEGMENTA_REMINDER_HOURS = float(os.environ.get("SEGMENTA_REMINDER_HOURS") or 24)
# Where patients reach Segmenta: the start of the questionnaire links in reminders sent by the
# command (pages use the address they were opened at).
SEGMENTA_SITE_URL = os.environ.get("SEGMENTA_SITE_URL", "").strip() or ("" if PRODUCTION else "http://127.0.0.1:8000")
