"""Settings for `make run`: the embedded SQLite database, mail written to files."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR, env_list

DEBUG = os.environ.get("DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-change-me-please-0123456789"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# Mail is logged for consent withdrawal (see base.py), one file per message.
EMAIL_DELIVERY_BACKEND, EMAIL_BACKEND = EMAIL_BACKEND, "erasure.mail.RecordingBackend"
