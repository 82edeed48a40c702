"""Notifications: in-app notices and e-mails that never carry medical content.

An e-mail says only that there is something new and where to look; no patient
name, no post text (carrier filters and shared inboxes are not private). Sending
goes through django-tasks, after the transaction commits, with retries.
"""

import logging
import time

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from django_tasks import task

from network import access

from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)
SEND_ATTEMPTS = 3


def notify(users, patient, kind, post=None):
    """Create in-app notices for ``users`` (only those who may read ``patient``) and mail them."""
    allowed = access.readers_of(patient)
    recipients = [u for u in users if u.pk in allowed]
    if not recipients:
        return []
    notices = Notification.objects.bulk_create(
        [Notification(user=u, patient=patient, post=post, kind=kind) for u in recipients]
    )
    immediate = [
        u.pk for u in recipients if email_preference(u) == NotificationPreference.Email.IMMEDIATE
    ]
    if immediate:
        transaction.on_commit(lambda: send_immediate_notices.enqueue(user_ids=immediate))
    from . import push

    if push.enabled():
        pushed = [u.pk for u in recipients]
        transaction.on_commit(lambda: push.send_push.enqueue(user_ids=pushed))
    return notices


def notify_new_post(post):
    """Everyone who may read the patient, except the author, hears of a new post."""
    from django.contrib.auth import get_user_model

    from .mentions import handle

    reader_ids = access.readers_of(post.patient) - {post.author_id}
    users = list(get_user_model().objects.filter(pk__in=reader_ids, is_active=True))
    compact = post.body.replace(" ", "").replace("\u3000", "")
    mentioned = [u for u in users if handle(u) and f"@{handle(u)}" in compact]
    others = [u for u in users if u not in mentioned]
    kind = Notification.Kind.ACK_REQUEST if post.ack_requested else Notification.Kind.NEW_POST
    return notify(mentioned, post.patient, Notification.Kind.MENTION, post=post) + notify(
        others, post.patient, kind, post=post
    )


def email_preference(user):
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref.email if pref else NotificationPreference.Email.IMMEDIATE


def unread_count(user):
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_patient_read(user, patient):
    Notification.objects.filter(user=user, patient=patient, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _send(user, count):
    context = {
        "user": user,
        "count": count,
        "url": settings.SITE_BASE_URL.rstrip("/") + reverse("timeline:notifications"),
    }
    subject = settings.EMAIL_SUBJECT_PREFIX + _("新しいお知らせがあります")
    body = render_to_string("timeline/email/notice.txt", context)
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            return True
        except OSError:
            logger.warning("notice mail to user %s failed (attempt %s)", user.pk, attempt)
            if attempt < SEND_ATTEMPTS:
                time.sleep(2**attempt)
    return False


def _mail_pending(user_ids, *, mode):
    """One content-free mail per user for their notices not yet mailed."""
    from django.contrib.auth import get_user_model

    sent = 0
    for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True):
        if email_preference(user) != mode:
            continue
        pending = Notification.objects.filter(
            user=user, emailed_at__isnull=True, read_at__isnull=True
        )
        ids = list(pending.values_list("pk", flat=True))
        if ids and _send(user, len(ids)):
            Notification.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
            sent += 1
    return sent


@task()
def send_immediate_notices(user_ids):
    return _mail_pending(user_ids, mode=NotificationPreference.Email.IMMEDIATE)


@task()
def send_daily_digests():
    """For users who chose a daily summary; run once a day (``manage.py send_digests``)."""
    user_ids = (
        Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return _mail_pending(list(user_ids), mode=NotificationPreference.Email.DAILY)
