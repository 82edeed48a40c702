"""Invitation e-mails: a link to choose a password, never a password in the mail.

A link is single use (it is bound to the password hash and the last sign-in, as
Django's password-reset tokens are), expires after PASSWORD_RESET_TIMEOUT (72 hours),
and is bound to the user's invitation nonce: sending a new invitation makes every
earlier link invalid.
"""

import secrets

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "mimamori.accounts.invitations"

    def _make_hash_value(self, user, timestamp):
        return super()._make_hash_value(user, timestamp) + user.invitation_nonce


invitation_tokens = InvitationTokenGenerator()


def invitation_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_tokens.make_token(user)
    path = reverse("accounts:accept_invitation", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_BASE_URL.rstrip("/") + path


def send_invitation(user, facility, invited_by=None, subject=None):
    """Mail ``user`` a link (valid 72 hours) to set a password. No medical content.

    Any link sent before stops working.
    """
    user.invitation_nonce = secrets.token_hex(16)
    user.save(update_fields=["invitation_nonce"])
    context = {
        "user": user,
        "facility": facility,
        "invited_by": invited_by,
        "url": invitation_url(user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    # In the site's language, not the inviting admin's: the recipient's is not known yet.
    with translation.override(settings.LANGUAGE_CODE):
        subject = settings.EMAIL_SUBJECT_PREFIX + (subject or _("利用者登録のご案内"))
        body = render_to_string("accounts/email/invitation.txt", context)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    if getattr(facility, "family_of_id", None):
        # A family facility is named after its patient: the copy goes with a consent withdrawal.
        from erasure.mail import attribute

        attribute(message, [facility.family_of_id])
    message.send()
