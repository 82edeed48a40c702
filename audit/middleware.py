"""One middleware that records what the views do not record themselves, and the session limits.

``AuditMiddleware`` gives every request an id (``X-Request-ID``) and, after the response:

* every state-changing request (POST, PUT, PATCH, DELETE) of a signed-in person is a
  ``write`` entry (``denied`` when it was refused), labelled by the view's URL name,
  with the patient and target the view named through ``audit.log.note``;
* every refusal (403, 404, 429) of a signed-in person that the view did not record
  itself is a ``denied`` entry;
* every page of the Wagtail admin that a signed-in person opens is an ``admin.view`` entry.

Reads of patient data are recorded by the views themselves (they know the patient).

``SessionLimitsMiddleware`` ends a session 12 hours after sign-in whatever the activity
(the 30-minute idle limit is the session cookie's age) and keeps the list of each
person's sessions (``UserSession``) so that signing out ends all of them.
"""

import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import log
from .models import UserSession

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DENIAL_STATUSES = {403, 404, 405, 429}
SKIP_PREFIXES = ("/static/", "/media/", "/favicon.ico", "/sw.js")
ADMIN_PREFIX = "/admin/"
AUTH_AT = "_mimamori_auth_at"
TRACKED_KEY = "_mimamori_tracked_key"


def _url_name(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return match.view_name or ""


def _ids(request):
    """Numeric and UUID URL arguments only (never tokens)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {}
    return {
        key: str(value)
        for key, value in match.kwargs.items()
        if isinstance(value, int | uuid.UUID) and not isinstance(value, bool)
    }


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if not request.path.startswith(SKIP_PREFIXES):
            self._record(request, response)
        return response

    def _record(self, request, response):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        status = response.status_code
        noted = getattr(request, "_audit_note", {})
        name = _url_name(request)
        base = {"status": status, "view": name, **_ids(request)}
        if request.method in UNSAFE_METHODS:
            denied = status in DENIAL_STATUSES
            if denied and getattr(request, "_audit_denial_recorded", False):
                return
            if not denied and getattr(request, "_audit_recorded", False):
                return  # the view wrote its own entry for this write
            action = noted.get("action") or (
                "admin.write" if request.path.startswith(ADMIN_PREFIX) else "write"
            )
            log.record(
                action,
                request=request,
                target=noted.get("target"),
                patient=noted.get("patient"),
                decision=log.DENIED if denied else log.ALLOWED,
                method=request.method,
                **base,
            )
        elif status in DENIAL_STATUSES:
            if getattr(request, "_audit_denial_recorded", False):
                return
            log.record("denied", request=request, decision=log.DENIED, method=request.method, **base)
        elif request.path.startswith(ADMIN_PREFIX) and status == 200 and not _is_fragment(request):
            log.record("admin.view", request=request, **base)


def _is_fragment(request):
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or request.path.startswith(
        ("/admin/jsi18n/", "/admin/sprite")
    )


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(AUTH_AT)
            now = time.time()
            if started is None:
                request.session[AUTH_AT] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                log.record("auth.session_expired", request=request)
                logout(request)
                messages.info(
                    request, _("ログインから12時間が経ったため、ログアウトしました。もう一度ログインしてください。")
                )
                return redirect(settings.LOGIN_URL)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            key = request.session.session_key
            if key and request.session.get(TRACKED_KEY) != key:
                UserSession.objects.update_or_create(session_key=key, defaults={"user_id": user.pk})
                request.session[TRACKED_KEY] = key
        return response


class AdminPolicyMiddleware:
    """The Wagtail admin renders inline scripts and styles of its own: on its pages the
    Content-Security-Policy allows them (still only this site's sources, no framing).
    Everywhere else the strict policy with nonces applies."""

    ADMIN_SOURCES = {
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(ADMIN_PREFIX):
            response._csp_replace = dict(self.ADMIN_SOURCES)
        return response
