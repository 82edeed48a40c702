"""MHLW guideline Q-54: 8+ characters with a second factor, 13+ without; letters and digits."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

import pytest

from tests.factories import FacilityFactory, make_admin, make_staff, totp_device

pytestmark = pytest.mark.django_db


def _messages(password, user):
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


def test_staff_without_second_factor_needs_thirteen_characters():
    staff = make_staff(FacilityFactory())
    assert any("13文字以上" in m for m in _messages("Abcdef123456", staff))  # 12
    assert _messages("Abcdef1234567", staff) == []  # 13


def test_staff_with_second_factor_needs_eight():
    staff = make_staff(FacilityFactory())
    totp_device(staff)
    assert _messages("Kq7mZp2x", staff) == []
    assert any("8文字以上" in m for m in _messages("Kq7mZp2", staff))


def test_facility_admin_needs_only_eight_because_the_second_factor_is_mandatory():
    admin = make_admin(FacilityFactory())
    assert _messages("Kq7mZp2x", admin) == []


def test_letters_only_or_digits_only_are_refused():
    staff = make_staff(FacilityFactory())
    assert any("英字と数字" in m for m in _messages("abcdefghijklmnop", staff))
    assert _messages("83920174658392", staff)  # also caught as entirely numeric
