"""Disaster mode and device-check facts for every page (the banner in base.html)."""

from django.conf import settings


def trust(request):
    return {
        "disaster_mode": getattr(request, "disaster", None),
        "device_check_enforced": settings.TRUST_REQUIRE_DEVICE_CERTIFICATE,
    }
