"""Invitation e-mails: a link to choose a password, never a password in the mail."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _


def invitation_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:accept_invitation", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_BASE_URL.rstrip("/") + path


def send_invitation(user, facility, invited_by=None):
    """Mail ``user`` a link (valid 72 hours) to set a password. No medical content."""
    context = {
        "user": user,
        "facility": facility,
        "invited_by": invited_by,
        "url": invitation_url(user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject = settings.EMAIL_SUBJECT_PREFIX + _("利用者登録のご案内")
    body = render_to_string("accounts/email/invitation.txt", context)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    if getattr(facility, "family_of_id", None):
        # A family facility is named after its patient: the copy goes with a consent withdrawal.
        from erasure.mail import attribute

        attribute(message, [facility.family_of_id])
    message.send()
