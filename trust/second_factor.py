"""Who needs a second factor, and who has one.

The secretariat and facility administrators (and system administrators) must
use one (SPEC §7). Anyone else may enrol; once enrolled, it is always asked.
"""

from django_otp import devices_for_user


def needs_second_factor(user):
    from network.access import is_facility_admin, is_secretariat

    if not (user and user.is_authenticated):
        return False
    return bool(user.is_superuser or user.is_staff or is_secretariat(user) or is_facility_admin(user))


def has_confirmed_device(user):
    return any(True for _ in devices_for_user(user, confirmed=True))


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
