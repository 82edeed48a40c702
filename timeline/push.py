"""Web Push through pywebpush (VAPID). The message names neither patient nor post.

Carrier filters in Japan often drop notice e-mails; a push to the phone's
browser arrives anyway. Subscriptions that the push service reports gone
(404/410) are removed.
"""

import json
import logging
import time

from django.conf import settings
from django.utils import timezone

from django_tasks import task
from pywebpush import WebPushException, webpush

from .models import PushSubscription

logger = logging.getLogger(__name__)
ATTEMPTS = 3
PAYLOAD = {"title": "みまもりSNS", "body": "新しいお知らせがあります", "url": "/timeline/notifications/"}


def enabled():
    return bool(settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY)


def _send_one(subscription):
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    for attempt in range(1, ATTEMPTS + 1):
        try:
            webpush(
                subscription_info=info,
                data=json.dumps(PAYLOAD, ensure_ascii=False),
                vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.WEBPUSH_SUBJECT},
                ttl=24 * 60 * 60,
                timeout=10,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                subscription.delete()
                return False
            logger.warning("push %s failed (attempt %s): %s", subscription.pk, attempt, status)
        except OSError:
            logger.warning("push %s unreachable (attempt %s)", subscription.pk, attempt)
        else:
            PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=timezone.now())
            return True
        if attempt < ATTEMPTS:
            time.sleep(attempt)
    return False


@task()
def send_push(user_ids):
    if not enabled():
        return 0
    return sum(_send_one(s) for s in PushSubscription.objects.filter(user_id__in=user_ids))
