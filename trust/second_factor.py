"""Who needs a second factor, and who has one.

The secretariat and facility administrators (and system administrators) must
use one (SPEC §7). Anyone else may enrol; once enrolled, it is always asked.
"""

from django_otp import devices_for_user

# Answers are kept on the user object, which lives for one request: the middleware
# and the page header ask the same questions.
_NEEDS = "_mimamori_needs_second_factor"
_HAS = "_mimamori_has_second_factor"


def needs_second_factor(user):
    from network.access import is_facility_admin, is_secretariat

    if not (user and user.is_authenticated):
        return False
    if not hasattr(user, _NEEDS):
        setattr(
            user,
            _NEEDS,
            bool(user.is_superuser or user.is_staff or is_secretariat(user) or is_facility_admin(user)),
        )
    return getattr(user, _NEEDS)


def has_confirmed_device(user):
    if not hasattr(user, _HAS):
        setattr(user, _HAS, any(True for _ in devices_for_user(user, confirmed=True)))
    return getattr(user, _HAS)


def forget(user):
    """Drop the kept answers (after enrolment changes them)."""
    for name in (_NEEDS, _HAS):
        if hasattr(user, name):
            delattr(user, name)


def has_or_needs_second_factor(user):
    return has_confirmed_device(user) or needs_second_factor(user)


def second_factor_pending(user):
    """Signed in with the password, but the second factor is still owed."""
    if not (user and user.is_authenticated) or user.is_verified():
        return False
    return has_or_needs_second_factor(user)


def throttle_wait_seconds(device):
    """Seconds until ``device`` accepts another code after repeated failures (0 if it does now)."""
    from django.utils import timezone

    allowed, data = device.verify_is_allowed()
    if allowed or not data or not data.get("locked_until"):
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds() + 0.999))
