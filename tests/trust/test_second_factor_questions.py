"""The two questions asked on every request of a user who has not passed the second factor
("has a confirmed device?" and "must have one?") are answered together, in one statement,
and agree with the role functions of the access policy."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from network import access
from network.models import FacilityMembership, FacilityStatus
from tests.factories import FacilityFactory, make_admin, make_secretariat, make_staff
from trust.second_factor import has_confirmed_device, needs_second_factor

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The user as a new request loads it: nothing answered yet."""
    return get_user_model().objects.get(pk=user.pk)


def _answers(user):
    user = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        answers = (has_confirmed_device(user), needs_second_factor(user))
        roles = (access.is_secretariat(user), access.is_facility_admin(user))
    # The one statement agrees with the policy's own queries, asked on a fresh object.
    other = _fresh(user)
    assert roles == (
        other.groups.filter(name=access.SECRETARIAT_GROUP).exists(),
        access.administered_facilities(other).exists(),
    )
    return answers, roles, len(queries)


def test_staff_without_device_one_statement_answers_everything():
    nurse = make_staff(FacilityFactory())
    assert _answers(nurse) == ((False, False), (False, False), 1)


@pytest.mark.parametrize("kind", ["totp", "static", "passkey"])
def test_a_confirmed_device_of_any_kind_counts(kind):
    nurse = make_staff(FacilityFactory())
    if kind == "totp":
        TOTPDevice.objects.create(user=nurse, name="t", confirmed=True)
    elif kind == "static":
        StaticDevice.objects.create(user=nurse, name="s", confirmed=True)
    else:
        WebAuthnCredential.objects.create(
            user=nurse, name="key", confirmed=True, credential_id=b"x" * 16,
            public_key=b"k", sign_count=0, credential_id_sha256="a" * 64,
        )
    assert _answers(nurse)[0] == (True, False)


def test_an_unconfirmed_device_does_not_count():
    nurse = make_staff(FacilityFactory())
    TOTPDevice.objects.create(user=nurse, name="t", confirmed=False)
    assert _answers(nurse)[0] == (False, False)


def test_secretariat_and_admin_must_have_one():
    assert _answers(make_secretariat())[:2] == ((False, True), (True, False))
    assert _answers(make_admin(FacilityFactory()))[:2] == ((False, True), (False, True))


def test_admin_of_a_deregistered_facility_or_an_ended_membership_is_not_an_admin():
    facility = FacilityFactory()
    admin = make_admin(facility)
    facility.status = FacilityStatus.DEREGISTERED
    facility.save(update_fields=["status"])
    assert _answers(admin)[:2] == ((False, False), (False, False))

    other = make_admin(FacilityFactory())
    FacilityMembership.objects.filter(user=other).update(until=timezone.now() - timedelta(seconds=1))
    assert _answers(other)[:2] == ((False, False), (False, False))


def test_future_membership_does_not_make_an_admin_yet():
    admin = make_admin(FacilityFactory())
    FacilityMembership.objects.filter(user=admin).update(since=timezone.now() + timedelta(days=1))
    assert _answers(admin)[:2] == ((False, False), (False, False))
