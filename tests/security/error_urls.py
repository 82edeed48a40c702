"""A URLconf for the error-page tests: the site's URLs plus views that fail on purpose."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from cms.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("secret internal detail: /srv/mimamori/settings.py line 42")


def forbidden(request):
    raise PermissionDenied("internal reason")


urlpatterns = [
    path("test-errors/500/", broken),
    path("test-errors/403/", forbidden),
    *site_urlpatterns,
]
