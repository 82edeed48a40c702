"""Invitation links: single use, 72 hours, and a resent invitation replaces the old link."""

import re
from datetime import timedelta

from django.core import mail
from django.test import Client

import pytest

from accounts.invitations import send_invitation
from tests.factories import FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db

USED_OR_EXPIRED = "使用済みか、有効期限"


def _invite(user, facility):
    send_invitation(user, facility)
    return "/" + re.search(r"https?://[^/\s]+/(\S+)", mail.outbox[-1].body).group(1)


@pytest.fixture
def invited():
    user = UserFactory(password=None)
    user.set_unusable_password()
    user.save()
    return user, FacilityFactory()


def test_an_invitation_link_opens_the_password_form(invited):
    path = _invite(*invited)
    page = Client().get(path, follow=True)
    assert "パスワードの設定" in page.content.decode()


def test_resending_an_invitation_invalidates_the_old_link(invited):
    old = _invite(*invited)
    new = _invite(*invited)
    assert old != new
    assert USED_OR_EXPIRED in Client().get(old, follow=True).content.decode()
    assert "パスワードの設定" in Client().get(new, follow=True).content.decode()


def test_an_invitation_expires_after_72_hours(invited, settings):
    from accounts.invitations import invitation_tokens

    path = _invite(*invited)
    assert settings.PASSWORD_RESET_TIMEOUT == 72 * 3600
    later = invitation_tokens._now() + timedelta(hours=72, minutes=1)
    invitation_tokens._now = lambda: later
    try:
        assert USED_OR_EXPIRED in Client().get(path, follow=True).content.decode()
    finally:
        del invitation_tokens._now
