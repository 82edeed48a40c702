"""The deletion certificate goes to the secretariat and the team's facility administrators."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from network.access import SECRETARIAT_GROUP
from network.models import FacilityMembership, MembershipRole

logger = logging.getLogger(__name__)


def certificate_recipients(tombstone):
    """E-mail addresses: active secretariat members, and the admins of the team's facilities."""
    User = get_user_model()
    secretariat = User.objects.filter(groups__name=SECRETARIAT_GROUP, is_active=True)
    admins = User.objects.filter(
        pk__in=FacilityMembership.objects.active()
        .filter(facility_id__in=tombstone.facility_ids, role=MembershipRole.ADMIN)
        .values("user_id"),
        is_active=True,
    )
    addresses = {u.email for u in secretariat} | {u.email for u in admins}
    return sorted(a for a in addresses if a)


def deliver_certificate(tombstone):
    """One mail per recipient with the PDF attached; returns how many were sent."""
    from .certificate import render_certificate_pdf

    recipients = certificate_recipients(tombstone)
    if not recipients:
        return 0
    pdf = render_certificate_pdf(tombstone)
    url = settings.SITE_BASE_URL.rstrip("/") + reverse("erasure:certificate", args=[tombstone.id])
    context = {"tombstone": tombstone, "url": url}
    subject = settings.EMAIL_SUBJECT_PREFIX + _("削除証明書（同意撤回）")
    body = render_to_string("erasure/email/certificate.txt", context)
    messages = []
    for address in recipients:
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        message.attach(f"deletion-certificate-{tombstone.id}.pdf", pdf, "application/pdf")
        messages.append(message)
    with get_connection() as connection:
        return connection.send_messages(messages)
