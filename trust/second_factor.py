"""Who needs a second factor, and who has one.

The secretariat and facility administrators (and system administrators) must
use one (SPEC §7). Anyone else may enrol; once enrolled, it is always asked.
"""

import functools

from django_otp import device_classes

# Answers are kept on the user object, which lives for one request: the middleware
# and the page header ask the same questions.
_NEEDS = "_mimamori_needs_second_factor"
_HAS = "_mimamori_has_second_factor"


@functools.cache
def _device_questions():
    """``(label, sql)`` per installed device kind (TOTP, backup codes, passkeys).

    Every django-otp device model has ``user`` and ``confirmed`` columns
    (``django_otp.models.Device``). Built once: the installed apps do not change.
    """
    return [
        (
            model._meta.label,
            f"SELECT 1 FROM {model._meta.db_table} WHERE "  # noqa: S608 (metadata names)
            f"{model._meta.get_field('user').column} = %s AND "
            f"{model._meta.get_field('confirmed').column} = %s",
        )
        for model in device_classes()
    ]


def _load(user):
    """Whether ``user`` has a confirmed device of any kind, and their roles: one query.

    Every request of a signed-in user who has not passed the second factor asks both.
    """
    from network.access import load_roles

    devices = [(label, sql, [user.pk, True]) for label, sql in _device_questions()]
    answers = load_roles(user, devices)
    setattr(user, _HAS, any(answers.values()))


def needs_second_factor(user):
    from network.access import is_facility_admin, is_secretariat

    if not (user and user.is_authenticated):
        return False
    if not hasattr(user, _NEEDS):
        if not hasattr(user, _HAS):
            _load(user)
        setattr(
            user,
            _NEEDS,
            bool(user.is_superuser or user.is_staff or is_secretariat(user) or is_facility_admin(user)),
        )
    return getattr(user, _NEEDS)


def has_confirmed_device(user):
    if not (user and user.is_authenticated):
        return False
    if not hasattr(user, _HAS):
        _load(user)
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
