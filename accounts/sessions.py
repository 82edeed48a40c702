"""The idle timeout: a signed-in session ends after 30 minutes without a request.

Django's ``SESSION_SAVE_EVERY_REQUEST`` renews the expiry by writing the session on
every request, which costs a database commit (a disk sync on SQLite) per page view.
Renewing at most once a minute gives the same rule to within a minute, for one write
a minute instead of one per request.
"""

import time

from django.conf import settings

REFRESHED_KEY = "_mimamori_refreshed"


class IdleTimeoutMiddleware:
    """Marks a non-empty session modified (so it is saved with a new expiry) once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - session.get(REFRESHED_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_KEY] = now
        return self.get_response(request)
