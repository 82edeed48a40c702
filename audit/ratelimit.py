"""Rate limits on sign-in, uploads and search (django-ratelimit's counters in the cache).

``RateLimitMiddleware`` applies the rules in ``settings.RATE_LIMITS`` to every request,
so that no view has to remember them; ``rate_limited`` is the same rule as a decorator
for views that want their own limit (for example the search view). A refused request
gets the Japanese 429 page and a ``denied`` audit entry.

The counters live in the cache named by ``RATELIMIT_USE_CACHE``: the embedded default
is the process's memory; with several worker processes configure a shared cache
(memcached or Redis) so the limits hold across them (docs/security.md).
"""

from functools import wraps

from django.shortcuts import render

from django_ratelimit.core import is_ratelimited

from . import log


def _refuse(request, group):
    log.record("ratelimit", request=request, decision=log.DENIED, group=group)
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


def _key(kind):
    if kind == "ip":
        return "ip"
    # Signed-in people are counted per account, others per address.
    return "user_or_ip"


def _matches(rule, request):
    if request.method not in rule["methods"]:
        return False
    if "prefix" in rule and not request.path.startswith(rule["prefix"]):
        return False
    # Uploads are requests that carry a file: the composer's form is always multipart,
    # and a text-only post is not an upload.
    if rule.get("with_files") and not (
        request.content_type.startswith("multipart/form-data") and request.FILES
    ):
        return False
    return True


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        for rule in getattr(settings, "RATE_LIMITS", []):
            if _matches(rule, request) and is_ratelimited(
                request,
                group=f"mimamori.{rule['name']}",
                key=_key(rule.get("key", "user_or_ip")),
                rate=rule["rate"],
                method=rule["methods"],
                increment=True,
            ):
                return _refuse(request, rule["name"])
        return self.get_response(request)


def rate_limited(name, rate, key="user_or_ip", methods=("GET", "POST")):
    """Decorator: at most ``rate`` (for example "30/m") requests per person or address."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if is_ratelimited(
                request, group=f"mimamori.{name}", key=_key(key), rate=rate,
                method=list(methods), increment=True,
            ):
                return _refuse(request, name)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def client_ip(request):
    """The client's address as django-axes resolves it (X-Forwarded-For only behind the
    configured proxy count), so limits, lockouts and the audit log name the same address."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104
