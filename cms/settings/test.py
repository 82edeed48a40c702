"""Settings for the test suite: fast hashing, mail kept in memory."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import SQLITE_OPTIONS, database_from_env

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Without DATABASE_URL the suite runs on a SQLite file (not :memory:) so that the
# WAL and secure_delete settings are exercised as in `make run`.
# Each test process gets its own file, so parallel runs never share a database.
if "DATABASE_URL" not in os.environ:
    _sqlite_path = os.environ.get(
        "TEST_SQLITE_PATH",
        os.path.join(tempfile.gettempdir(), f"mimamori-test-{os.getpid()}.sqlite3"),
    )
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _sqlite_path,
            "OPTIONS": dict(SQLITE_OPTIONS),
            "TEST": {"NAME": _sqlite_path},
        }
    }
else:
    DATABASES = {"default": database_from_env()}

# The deletion journal of each test process stays in the temporary directory.
ERASURE_JOURNAL_PATH = os.path.join(
    tempfile.gettempdir(), f"mimamori-test-journal-{os.getpid()}.jsonl"
)
# Trust: a fixed CA passphrase for tests; the CRL is kept in the database only unless
# a test (the nginx one) points it at a file.
TRUST_CA_KEY_PASSPHRASE = os.environ.get("MIMAMORI_CA_KEY_PASSPHRASE", "test-only-ca-passphrase")
TRUST_CRL_FILE = os.environ.get("MIMAMORI_CRL_FILE", "")
