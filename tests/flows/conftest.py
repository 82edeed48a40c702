"""Building blocks of the flow tests: real submissions, the real review screens, real mail.

A submission is created by the forms service as the online form does, and its signed copy
is taken as received (the upload itself is tested in tests/documents). Everything after
that goes through the secretariat's screens in the Wagtail admin, the facility console and
the invitation and second-factor pages, signed in as real users in real groups.
"""

import re

from django.core import mail
from django.test import Client

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from forms import definitions as d
from forms.models import Submission, SubmissionStatus
from forms.services import create_submission
from network import access
from tests.factories import make_secretariat, totp_device

PREFIX = "[みまもりSNS] "
NEW_PASSWORD = "Renkei-mimamori-2026"


def submit(number, data, *, facility=None, patient=None, user=None):
    """A submission as the online form creates it, with its signed copy received."""
    definition = d.BY_NUMBER[number]
    values = {"contact_name": "申請 担当", "contact_email": "contact@applicant.example.jp", **data}
    submission = create_submission(definition, values, user=user, facility=facility, patient=patient)
    submission.set_status(SubmissionStatus.RECEIVED)
    return Submission.objects.get(pk=submission.pk)


def sent(since=0):
    """(recipient, subject) of every mail sent after the first ``since``, sorted."""
    return sorted((to, m.subject) for m in mail.outbox[since:] for to in m.to)


def subjects_to(address, since=0):
    return [subject for to, subject in sent(since) if to == address]


def link_in(message):
    url = re.search(r"https?://\S+", message.body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def accept_invitation(message, password=NEW_PASSWORD):
    """Open the invitation link from ``message`` and set a password; returns the signed-in client."""
    client = Client()
    form_page = client.get(link_in(message), follow=True)
    assert "パスワードの設定" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert response.status_code == 302
    return client


def enrol_second_factor(client, user):
    """The real /2fa/setup/ page: scan (read the device's key) and confirm with a code."""
    assert client.get("/2fa/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post("/2fa/setup/", {"token": f"{totp.token():0{device.digits}d}"})
    assert response.status_code == 200
    assert "バックアップコード" in response.content.decode()


class Clerk:
    """A secretariat member working in the admin's review screens."""

    def __init__(self, user, client):
        self.user, self.client = user, client

    def preview(self, submission, **post):
        if post:
            response = self.client.post(f"/admin/review/{submission.pk}/accept/", {"action": "preview", **post})
        else:
            response = self.client.get(f"/admin/review/{submission.pk}/accept/")
        assert response.status_code == 200
        return response.context["plan"]

    def accept(self, submission, capture, seen=None, **post):
        with capture(execute=True):
            response = self.client.post(
                f"/admin/review/{submission.pk}/accept/",
                {"action": "confirm", "seen_status": seen or submission.status, **post},
                follow=True,
            )
        assert response.status_code == 200
        return response

    def act(self, submission, capture, **post):
        with capture(execute=True):
            response = self.client.post(
                f"/admin/review/{submission.pk}/",
                {"seen_status": submission.status, **post},
                follow=True,
            )
        assert response.status_code == 200
        return response


def make_clerk(signed_in):
    user = make_secretariat(email="jimukyoku@med.example.jp", last_name="事務", first_name="花子")
    totp_device(user)
    return Clerk(user, signed_in(user))


@pytest.fixture
def clerk(signed_in):
    return make_clerk(signed_in)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def can_see(user, patient):
    return access.can_view_patient(user, patient)
