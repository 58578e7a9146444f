"""Maillage settings: everything that varies between machines comes from the environment.

See docs/operations.md for every variable. Bad values stop start-up with a one-line message
(config.env.ImproperlyConfiguredEnv, printed by maillage.cli).
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import (
    ImproperlyConfiguredEnv,
    database_from_url,
    email_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    load_local_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MAILLAGE_VAR_DIR", str(BASE_DIR / "var")))
# A development machine's settings, written by `make install` (config/local_env.py); ignored
# when the environment sets SECRET_KEY, as production does. The environment always wins.
LOCAL_ENV_FILE = load_local_env(VAR_DIR / "local.env")

DEBUG = env_bool("DEBUG", default=False)
# Tests, `make run` and var/local.env set MAILLAGE_DEV=1: a throwaway key is then acceptable.
DEV_MODE = env_bool("MAILLAGE_DEV", default=False)

if DEBUG or DEV_MODE:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-use-in-production-0123456789")
else:
    SECRET_KEY = env_str("SECRET_KEY", required=True)
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfiguredEnv(
            "SECRET_KEY must be at least 50 characters long in production."
        )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if (DEBUG or DEV_MODE) else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "maillage.core.apps.MaillageAdminConfig",  # django.contrib.admin: superusers with 2FA only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "maillage.core",
    "maillage.accounts",
    "maillage.territory",
    "maillage.people",
    "maillage.elections",
    "maillage.surveys",
    "maillage.canvassing",
    "maillage.phonebank",
    "maillage.messaging",
    "maillage.forum",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "maillage.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "maillage.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "maillage.core.middleware.FriendlyErrorMiddleware",
    # Axes last: it reads the outcome of authentication to count failed attempts.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maillage.core.context_processors.navigation",
                "maillage.core.context_processors.csp_nonce",
                # After Django's own CSRF processor: the same token, masked faster (core.csrf).
                "maillage.core.context_processors.csrf",
            ],
        },
    },
]

DATABASES = {"default": database_from_url("DATABASE_URL", VAR_DIR / "maillage.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "maillage.accounts.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"

# Login rate limit (django-axes): lock an account+IP pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)

# Two-factor: admins must have a confirmed TOTP device in production; optional for staff.
MAILLAGE_REQUIRE_2FA_FOR_ADMINS = env_bool(
    "REQUIRE_2FA_FOR_ADMINS", default=not (DEBUG or DEV_MODE)
)
OTP_TOTP_ISSUER = "Maillage"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "maillage" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or DEV_MODE)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Uploaded imports are kept here until their task has read them.
MAILLAGE_UPLOAD_DIR = VAR_DIR / "uploads"
# Uploaded files and rejected-row files are personal data: deleted after this many days
# (by the worker's periodic housekeeping and by `maillage housekeeping`; see docs/privacy.md).
MAILLAGE_UPLOAD_RETENTION_DAYS = env_int("MAILLAGE_UPLOAD_RETENTION_DAYS", 30, minimum=1)
# A running task whose heartbeat is older than this is marked failed (its process is gone).
MAILLAGE_TASK_STALE_SECONDS = env_int("MAILLAGE_TASK_STALE_SECONDS", 600, minimum=1)
# How often a running task's heartbeat is written, even during one long step.
MAILLAGE_TASK_HEARTBEAT_SECONDS = env_int("MAILLAGE_TASK_HEARTBEAT_SECONDS", 30, minimum=1)
# How often the worker runs the housekeeping (stale tasks, expired files).
MAILLAGE_HOUSEKEEPING_MINUTES = env_int("MAILLAGE_HOUSEKEEPING_MINUTES", 5, minimum=1)
# Processes that read and convert a big import file (0: one per core, at most 4; 1: none).
MAILLAGE_IMPORT_WORKERS = env_int("MAILLAGE_IMPORT_WORKERS", 0, minimum=0)
# Limits on hostile import files (people and results), see docs/imports.md "Limits".
# An XLSX is a zip: its parts may expand to at most this many bytes, checked from the zip's
# directory and again while reading.
MAILLAGE_IMPORT_XLSX_MAX_BYTES = env_int("MAILLAGE_IMPORT_XLSX_MAX_BYTES", 200 << 20, minimum=1)
# Rows of a sheet (Excel's own limit).
MAILLAGE_IMPORT_XLSX_MAX_ROWS = env_int("MAILLAGE_IMPORT_XLSX_MAX_ROWS", 1_048_576, minimum=1)
# Characters in one cell, CSV or XLSX.
MAILLAGE_IMPORT_MAX_CELL_CHARS = env_int("MAILLAGE_IMPORT_MAX_CELL_CHARS", 1 << 20, minimum=1000)
# Columns of a file; columns kept in a person's extra fields.
MAILLAGE_IMPORT_MAX_COLUMNS = env_int("MAILLAGE_IMPORT_MAX_COLUMNS", 1000, minimum=2)
MAILLAGE_IMPORT_MAX_EXTRA_COLUMNS = env_int("MAILLAGE_IMPORT_MAX_EXTRA_COLUMNS", 200, minimum=0)
# Geocoding of addresses (docs/imports.md "Geocoding"): a service with the Base Adresse
# Nationale's CSV batch search, the BAN's public one or a campaign's own addok.
GEOCODER_URL = env_str("GEOCODER_URL", "https://api-adresse.data.gouv.fr/search/csv/")
# Seconds to wait for one batch's answer; tries of a batch on a transient error (5xx, 429,
# timeout, refused connection), with a doubling pause from GEOCODER_RETRY_SECONDS.
GEOCODER_TIMEOUT = env_int("GEOCODER_TIMEOUT", 120, minimum=1)
GEOCODER_TRIES = env_int("GEOCODER_TRIES", 4, minimum=1)
GEOCODER_RETRY_SECONDS = env_int("GEOCODER_RETRY_SECONDS", 2, minimum=0)
# Addresses sent per request (the public service takes files up to 50 MB).
GEOCODER_BATCH = env_int("GEOCODER_BATCH", 2000, minimum=1)
# Below this score (0-1) a match is not trusted: the person stays without coordinates.
GEOCODER_MIN_SCORE = env_int("GEOCODER_MIN_SCORE_PERCENT", 50, minimum=0) / 100
# Phone banking (docs/operations.md "Phone banking with Asterisk"). The dialer: "manual" (tel:
# links, the volunteer's own phone) or "asterisk" (the Manager Interface rings the caller's seat,
# then the voter through the dialplan context below).
MAILLAGE_DIALER = env_choice(
    "MAILLAGE_DIALER", "manual", {"manual": "manual", "asterisk": "asterisk"}
)
MAILLAGE_AMI_HOST = env_str("MAILLAGE_AMI_HOST", "127.0.0.1")
MAILLAGE_AMI_PORT = env_int("MAILLAGE_AMI_PORT", 5038, minimum=1)
MAILLAGE_AMI_USER = env_str("MAILLAGE_AMI_USER", "maillage")
MAILLAGE_AMI_SECRET = env_str("MAILLAGE_AMI_SECRET", "", required=MAILLAGE_DIALER == "asterisk")
MAILLAGE_AMI_CONTEXT = env_str("MAILLAGE_AMI_CONTEXT", "maillage-outbound")
MAILLAGE_AMI_TRUNK_PREFIX = env_str("MAILLAGE_AMI_TRUNK_PREFIX", "")
MAILLAGE_AMI_CALLER_ID = env_str("MAILLAGE_AMI_CALLER_ID", "")
MAILLAGE_AMI_RING_SECONDS = env_int("MAILLAGE_AMI_RING_SECONDS", 30, minimum=5)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

_email = email_from_url("EMAIL_URL", "console://" if (DEBUG or DEV_MODE) else "smtp://localhost:25")
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_FILE_PATH = _email.file_path
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Maillage <campagne@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Messaging (docs/operations.md): who campaigns may be sent as, the send loop's batch (also
# the most messages a crashed worker can send twice), its rate (messages per second, 0 = as
# fast as the backend takes them) and the lease a dead worker's successor may take over.
MAILLAGE_SENDER_IDENTITIES = env_list("MAILLAGE_SENDER_IDENTITIES", [DEFAULT_FROM_EMAIL])
MAILLAGE_MESSAGING_BATCH = env_int("MAILLAGE_MESSAGING_BATCH", 50, minimum=1)
MAILLAGE_MESSAGING_RATE = env_int("MAILLAGE_MESSAGING_RATE", 0, minimum=0)
MAILLAGE_MESSAGING_LEASE_SECONDS = env_int("MAILLAGE_MESSAGING_LEASE_SECONDS", 120, minimum=1)
MAILLAGE_MESSAGE_ID_DOMAIN = env_str("MAILLAGE_MESSAGE_ID_DOMAIN", "maillage.invalid")
# SMS (docs/operations.md): the provider (console, file, ovh, twilio), the sender name or
# number, the price of one segment for the estimate, quiet hours (no SMS from START to END
# o'clock, on Sundays, on public holidays), the secret of the dev/OVH callbacks.
MAILLAGE_SMS_PROVIDER = env_choice(
    "MAILLAGE_SMS_PROVIDER",
    "console",
    {"console": "console", "file": "file", "ovh": "ovh", "twilio": "twilio"},
)
MAILLAGE_SMS_FILE_PATH = env_str("MAILLAGE_SMS_FILE_PATH", str(VAR_DIR / "sms" / "outbox.jsonl"))
MAILLAGE_SMS_SENDER = env_str("MAILLAGE_SMS_SENDER", "")
MAILLAGE_SMS_PRICE_PER_SEGMENT = env_str("MAILLAGE_SMS_PRICE_PER_SEGMENT", "0.045")
# Appended to every SMS (French practice for bulk SMS: say how to stop them).
MAILLAGE_SMS_STOP_TEXT = env_str("MAILLAGE_SMS_STOP_TEXT", "STOP: répondez STOP")
MAILLAGE_SMS_RATE = env_int("MAILLAGE_SMS_RATE", 20, minimum=0)
MAILLAGE_SMS_RETRIES = env_int("MAILLAGE_SMS_RETRIES", 3, minimum=0)
MAILLAGE_SMS_RETRY_BASE_SECONDS = float(env_str("MAILLAGE_SMS_RETRY_BASE_SECONDS", "1.0"))
MAILLAGE_SMS_QUIET_START = env_int("MAILLAGE_SMS_QUIET_START", 20, minimum=0)
MAILLAGE_SMS_QUIET_END = env_int("MAILLAGE_SMS_QUIET_END", 8, minimum=0)
MAILLAGE_SMS_QUIET_SUNDAY = env_bool("MAILLAGE_SMS_QUIET_SUNDAY", default=True)
MAILLAGE_SMS_QUIET_HOLIDAYS = env_bool("MAILLAGE_SMS_QUIET_HOLIDAYS", default=True)
MAILLAGE_SMS_HOLIDAYS_ALSACE_MOSELLE = env_bool(
    "MAILLAGE_SMS_HOLIDAYS_ALSACE_MOSELLE", default=False
)
MAILLAGE_SMS_CALLBACK_TOKEN = env_str(
    "MAILLAGE_SMS_CALLBACK_TOKEN", "dev-sms-callback" if DEV_MODE else ""
)
MAILLAGE_OVH_ENDPOINT = env_str("MAILLAGE_OVH_ENDPOINT", "https://eu.api.ovh.com/1.0")
MAILLAGE_OVH_APPLICATION_KEY = env_str("MAILLAGE_OVH_APPLICATION_KEY", "")
MAILLAGE_OVH_APPLICATION_SECRET = env_str("MAILLAGE_OVH_APPLICATION_SECRET", "")
MAILLAGE_OVH_CONSUMER_KEY = env_str("MAILLAGE_OVH_CONSUMER_KEY", "")
MAILLAGE_OVH_SERVICE = env_str("MAILLAGE_OVH_SERVICE", "")
MAILLAGE_TWILIO_BASE_URL = env_str("MAILLAGE_TWILIO_BASE_URL", "https://api.twilio.com")
MAILLAGE_TWILIO_ACCOUNT_SID = env_str("MAILLAGE_TWILIO_ACCOUNT_SID", "")
MAILLAGE_TWILIO_AUTH_TOKEN = env_str("MAILLAGE_TWILIO_AUTH_TOKEN", "")
MAILLAGE_TWILIO_MESSAGING_SERVICE_SID = env_str("MAILLAGE_TWILIO_MESSAGING_SERVICE_SID", "")
# ESPs through django-anymail: EMAIL_URL=brevo:// or mailjet:// picks the backend; the keys
# and the webhook's basic-auth secret ("user:password") come from the environment.
ANYMAIL = {
    key: value
    for key, value in {
        "BREVO_API_KEY": env_str("BREVO_API_KEY"),
        "MAILJET_API_KEY": env_str("MAILJET_API_KEY"),
        "MAILJET_SECRET_KEY": env_str("MAILJET_SECRET_KEY"),
        "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET"),
    }.items()
    if value
}

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Background work (docs/operations.md says which to choose): `db` keeps the queue in the
# database (django-tasks-db, worker: `maillage db_worker`); `rq` puts it in Redis (django-tasks-rq,
# worker: `maillage rqworker`). Two queues: short work, and long file imports.
TASK_QUEUES = ["default", "imports"]
_db_tasks = "django_tasks_db.DatabaseBackend"
TASKS = {
    "default": {
        "BACKEND": env_choice(
            "TASKS_BACKEND",
            "db",
            {
                "db": _db_tasks,
                "database": _db_tasks,  # its name before `rq` came
                "rq": "django_tasks_rq.RQBackend",
                "immediate": "django_tasks.backends.immediate.ImmediateBackend",
                "dummy": "django_tasks.backends.dummy.DummyBackend",
            },
        ),
        "QUEUES": TASK_QUEUES,
    }
}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    # TASKS_REDIS_URL may name another Redis database than the cache's: clearing a Django
    # cache empties its whole database, queues included.
    _rq_url = env_str("TASKS_REDIS_URL", REDIS_URL)
    if not _rq_url:
        raise ImproperlyConfiguredEnv(
            "TASKS_BACKEND=rq needs REDIS_URL (or TASKS_REDIS_URL): redis://127.0.0.1:6379/1."
        )
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_SHOW_ADMIN_LINK = False
    # RQ stops a job past its timeout: an import of a whole department's roll takes minutes.
    RQ_QUEUES = {
        "default": {"URL": _rq_url, "DEFAULT_TIMEOUT": 15 * 60},
        "imports": {"URL": _rq_url, "DEFAULT_TIMEOUT": 6 * 60 * 60},
    }

# Sessions: in the database; with Redis (shared by every web process) also cached there, so an
# authenticated request reads its session without a query. Never cached in a per-process
# memory cache: another worker would keep serving a session that was logged out.
# Django's engines, with the per-request read of the session compiled once (#17).
SESSION_ENGINE = (
    "maillage.accounts.sessions.cached_db" if REDIS_URL else "maillage.accounts.sessions.db"
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (maillage.core.middleware): enforced, except under DEBUG where it only
# reports, because Django's debug pages use inline script.
MAILLAGE_CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", default=DEBUG)
# An index's INCLUDE columns are PostgreSQL's (`person_station_support_idx` includes the id);
# SQLite keeps the rowid in every index already and ignores them, as intended.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
if not (DEBUG or DEV_MODE):
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    # Preloading is a one-way commitment of the whole domain to HTTPS: each campaign opts in
    # with SECURE_HSTS_PRELOAD=1, so the deploy check does not nag about it by default.
    SILENCED_SYSTEM_CHECKS += [] if SECURE_HSTS_PRELOAD else ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Forum anti-spam (docs/forum.md "Spam"): Akismet checks new posts when a key is set (empty:
# off). The URL's {key} is replaced by the key (Akismet's key-in-host form); BLOG is the site
# the key was issued for.
FORUM_AKISMET_KEY = env_str("FORUM_AKISMET_KEY", "")
FORUM_AKISMET_URL = env_str("FORUM_AKISMET_URL", "https://{key}.rest.akismet.com/1.1/")
FORUM_AKISMET_BLOG = env_str("FORUM_AKISMET_BLOG", SITE_URL)
# Seconds to wait for Akismet while a member posts; past it the post is published (fail open).
FORUM_AKISMET_TIMEOUT = env_int("FORUM_AKISMET_TIMEOUT", 3, minimum=1)
if FORUM_AKISMET_KEY and not FORUM_AKISMET_URL.startswith(("https://", "http://")):
    raise ImproperlyConfiguredEnv("FORUM_AKISMET_URL must be an http(s) URL.")

# Turf maps (canvassing): a tile server URL with {z}/{x}/{y} (a campaign's own, or one whose
# terms allow it). Empty by default: the map then draws people and turfs on a blank
# background, and the browser makes no request to a third party.
MAP_TILES_URL = env_str("MAP_TILES_URL", "")
if MAP_TILES_URL and not (
    MAP_TILES_URL.startswith(("https://", "http://"))
    and all(part in MAP_TILES_URL for part in ("{z}", "{x}", "{y}"))
):
    raise ImproperlyConfiguredEnv("MAP_TILES_URL must be an http(s) URL with {z}, {x} and {y}.")
MAP_TILES_ATTRIBUTION = env_str("MAP_TILES_ATTRIBUTION", "")

AXES_VERBOSE = False
# Static files: whitenoise serves them in every mode; in development it reads the app folders
# directly so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or DEV_MODE
WHITENOISE_AUTOREFRESH = DEBUG

# `make bench` only: serves /bench/bare/, the bare Django page the load benchmark compares
# every page with (benchmarks/bare_page.py). Never set in production.
MAILLAGE_BENCH_PAGE = env_bool("MAILLAGE_BENCH_PAGE", default=False)
