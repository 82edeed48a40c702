"""Base settings: production-safe by default.

Everything secret or host-specific comes from the environment. ``dev.py`` and
``test.py`` relax what they must; ``production.py`` tightens the rest.
"""

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MIMAMORI_VAR_DIR", BASE_DIR / "var"))


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Project apps first so their templates and translations win.
    "accounts",
    "trust",
    "network",
    "timeline",
    "audit",
    "forms",
    "documents",
    "billing",
    "public",
    "erasure",
    "search",
    "cms",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Security
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "reversion",
    "django_tasks_db",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Strict Content-Security-Policy with nonces; the Wagtail admin gets its own policy.
    "csp.middleware.CSPMiddleware",
    "audit.middleware.AdminPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.sessions.IdleTimeoutMiddleware",
    # Japanese unless the user picks English with the switch; the browser's
    # Accept-Language is not followed (Django's LocaleMiddleware would).
    "cms.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Request ids, writes, refusals and admin actions into the audit log; then rate limits.
    "audit.middleware.AuditMiddleware",
    "audit.ratelimit.RateLimitMiddleware",
    "trust.middleware.SecondFactorRequiredMiddleware",
    "trust.middleware.DeviceCertificateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The absolute (12 h) session limit and sign-out everywhere.
    "audit.middleware.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: turns a lockout into the Japanese lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "themes" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "network.context_processors.roles",
                "timeline.context_processors.notices",
                "trust.context_processors.trust",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite is the embedded default: WAL for concurrent readers, secure_delete so
# deleted rows are overwritten instead of lingering in free pages, IMMEDIATE
# transactions so writers queue instead of failing with "database is locked".
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA secure_delete=ON;PRAGMA foreign_keys=ON",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database_from_env():
    default_url = f"sqlite:///{VAR_DIR / 'mimamori.sqlite3'}"
    config = dj_database_url.parse(os.environ.get("DATABASE_URL", default_url), conn_max_age=0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts, second factor, lockout ----------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must be first: counts and blocks failures
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "network:home"
WAGTAILADMIN_LOGIN_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.password_validation.MhlwLengthValidator"},
    {"NAME": "accounts.password_validation.MixedCharactersValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes: at most 5 failures per 15 minutes for one account from one address;
# other accounts and other addresses are unaffected.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# Behind the TLS proxy the client address is taken from X-Forwarded-For only when
# the proxy count is configured (see docs/deployment.md).
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

OTP_TOTP_ISSUER = "みまもりSNS"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Sessions: idle timeout of 30 minutes, ended by closing the browser. Activity renews
# the expiry at most once every SESSION_REFRESH_SECONDS (accounts/sessions.py), so the
# idle timeout holds to within that and a page view costs no session write.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_REFRESH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "themes" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Per attachment; 5 MB is the regional system's limit.
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
MAX_ATTACHMENTS_PER_POST = 5
# Images above this many pixels are refused before decoding (pixel-flood defence).
MAX_IMAGE_PIXELS = 40_000_000

# --- Mail ---------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "みまもりSNS事務局 <noreply@mimamori.invalid>")
EMAIL_SUBJECT_PREFIX = "[みまもりSNS] "
# Invitation links are valid for 72 hours.
PASSWORD_RESET_TIMEOUT = 72 * 60 * 60
# Absolute base of links in e-mails (no request at hand when mail is sent).
SITE_BASE_URL = os.environ.get("SITE_BASE_URL", "http://127.0.0.1:8000")

# Web Push (VAPID). Without keys push is off and the UI does not offer it.
# Make a key pair with `manage.py vapid_keys`.
WEBPUSH_VAPID_PUBLIC_KEY = os.environ.get("WEBPUSH_VAPID_PUBLIC_KEY", "")
WEBPUSH_VAPID_PRIVATE_KEY = os.environ.get("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_SUBJECT = os.environ.get("WEBPUSH_SUBJECT", "mailto:noreply@mimamori.invalid")

# --- Background tasks (django-tasks) ---------------------------------------------
# Embedded default: work runs right after the request's transaction commits. In
# production the database backend queues it and `manage.py db_worker` runs it, so a
# post returns before its notice mails and pushes go out.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# --- Wagtail ------------------------------------------------------------------
WAGTAIL_SITE_NAME = "みまもりSNS"
WAGTAILADMIN_BASE_URL = SITE_BASE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf"]
# Page privacy (PageViewRestriction) is not how patients are protected: teams are.
WAGTAIL_PRIVACY_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
# No avatars from Gravatar: it would send a hash of every user's e-mail to a third party.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"axes": {"level": "WARNING"}},
}


def require_secret_key(key):
    if not key or len(key) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment (32+ characters).")
    return key

# --- Audit log and hardening (issue #8) -----------------------------------------------
# Strict Content-Security-Policy with per-request nonces (django-csp): scripts and styles
# only from this site (or carrying the request's nonce); no plugins, no framing, no
# foreign form targets. Inline event handlers are not allowed: themes/static/js/confirm.js
# takes their place. The Wagtail admin (secretariat only, behind the second factor) uses
# inline scripts of its own and gets a policy with 'unsafe-inline' for scripts and styles
# (audit.middleware.AdminPolicyMiddleware).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Sessions end 12 hours after sign-in whatever the activity (idle limit: SESSION_COOKIE_AGE).
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", str(12 * 60 * 60)))
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Rate limits (django-ratelimit counters in the cache): sign-in attempts per address on
# top of django-axes' per-account lockout, uploads and searches per person.
RATELIMIT_IP_META_KEY = "audit.ratelimit.client_ip"
RATELIMIT_USE_CACHE = os.environ.get("RATELIMIT_CACHE", "default")
RATE_LIMITS = [
    {"name": "login", "methods": ["POST"], "prefix": "/accounts/login/", "rate": "30/10m", "key": "ip"},
    {"name": "second_factor", "methods": ["POST"], "prefix": "/2fa/verify/", "rate": "20/10m"},
    {"name": "upload", "methods": ["POST"], "with_files": True, "rate": "60/h"},
    {"name": "search", "methods": ["GET"], "prefix": "/search/", "rate": "60/m"},
    # Public forms: anyone may submit, and each submission mails the secretariat.
    {"name": "public_forms", "methods": ["POST"], "prefix": "/forms/", "rate": "30/h", "key": "ip"},
]

# --- Forms and signed documents ---------------------------------------------------
# Scans of signed forms: at most this size per file.
SIGNED_SCAN_MAX_BYTES = int(os.environ.get("SIGNED_SCAN_MAX_BYTES", str(10 * 1024 * 1024)))
# The system's Ed25519 key for stored documents (base64 of the raw 32 bytes, or PEM).
# Unset: derived from SECRET_KEY (see documents/signing.py).
DOCUMENT_SIGNING_KEY = os.environ.get("DOCUMENT_SIGNING_KEY", "")

# --- Date formats (i18n) ------------------------------------------------------------
# Named formats per language for the local_date filter (cms/templatetags/local_dates.py):
# Japanese dates stay Japanese, English readers get English ones.
FORMAT_MODULE_PATH = ["cms.formats"]

# --- Consent withdrawal, sent-mail log, backups (erasure) ----------------------
# Every mail goes through the sent-mail log (metadata only), so that a consent
# withdrawal can delete the copies concerning the patient; the backend that
# really delivers is EMAIL_DELIVERY_BACKEND.
EMAIL_DELIVERY_BACKEND = EMAIL_BACKEND
EMAIL_BACKEND = "erasure.mail.RecordingBackend"
# The deletion journal lives outside the database (and outside backups), so that a
# restore re-applies every withdrawal made since the backup was taken.
ERASURE_JOURNAL_PATH = Path(
    os.environ.get("MIMAMORI_ERASURE_JOURNAL", VAR_DIR / "erasure" / "journal.jsonl")
)
# Keys that a backup carries (e.g. the certificate authority's); MIMAMORI_BACKUP_KEY,
# the key that encrypts backups, is read from the environment by the commands only.
MIMAMORI_KEYS_DIR = Path(os.environ.get("MIMAMORI_KEYS_DIR", VAR_DIR / "keys"))
# --- Trust: own CA, device certificates, VPN numbers, disaster mode (trust/) -------
# The CA's private key is stored encrypted with this passphrase (required outside
# DEBUG; in DEBUG a random one is generated under var/keys/ca/).
TRUST_CA_KEY_PASSPHRASE = os.environ.get("MIMAMORI_CA_KEY_PASSPHRASE", "")
# Under the keys directory, so that backups carry the CA.
TRUST_CA_DIR = Path(os.environ.get("MIMAMORI_CA_DIR", MIMAMORI_KEYS_DIR / "ca"))
# The CRL is written here on every revocation (nginx `ssl_crl`); empty: database only.
TRUST_CRL_FILE = os.environ.get("MIMAMORI_CRL_FILE", str(TRUST_CA_DIR / "crl.pem"))
# Behind the TLS proxy: every signed-in request needs a verified, active device
# certificate of its user. Off for the embedded `make run` (the second factor stands in).
TRUST_REQUIRE_DEVICE_CERTIFICATE = env_bool("MIMAMORI_REQUIRE_CLIENT_CERT", False)
# Only requests from these addresses may carry the proxy's X-SSL-Client-* headers.
TRUSTED_PROXY_ADDRESSES = env_list("TRUSTED_PROXY_ADDRESSES")

# Passkeys (django-otp-webauthn) as a second factor next to TOTP; never password-less.
# WebAuthn needs a domain (not an IP address): in `make run` open http://localhost:PORT.
OTP_WEBAUTHN_RP_ID = os.environ.get("OTP_WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = "みまもりSNS"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "OTP_WEBAUTHN_ALLOWED_ORIGINS", "http://localhost:8000,http://localhost:8105"
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# --- Search (search app) ------------------------------------------------------------
# The database backend (SQLite FTS5 / PostgreSQL tsvector) unless an OpenSearch or
# Elasticsearch URL is given (OpenSearch first when both are); see docs/search.md.
# The consent archive gets its own index, <SEARCH_INDEX_NAME>-archive, on that cluster.
SEARCH_ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
SEARCH_OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "")
SEARCH_BACKEND = os.environ.get(
    "SEARCH_BACKEND",
    "opensearch" if SEARCH_OPENSEARCH_URL else "elasticsearch" if SEARCH_ELASTICSEARCH_URL else "database",
)
SEARCH_INDEX_NAME = os.environ.get("SEARCH_INDEX_NAME", "mimamori-search")
