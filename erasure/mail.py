"""Every sent mail is logged (metadata only) and, when it concerns patients, attributed.

``EMAIL_BACKEND = "erasure.mail.RecordingBackend"`` wraps the backend that really
delivers (``EMAIL_DELIVERY_BACKEND``: SMTP in production, files in ``make run``).
A caller marks a message as concerning patients with ``attribute(message, ids)``;
the attribution is a Python attribute of the message object, never a header, so
nothing about it leaves the server. With the file backend each message gets its
own file, so that a consent withdrawal can delete exactly the copies concerning
that patient (``erasure.services.withdraw_consent``).
"""

import logging
import os
import uuid
from email.utils import make_msgid

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

ATTRIBUTE = "mimamori_patient_ids"


def attribute(message, patient_ids):
    """Mark ``message`` as concerning the patients (PatientPage primary keys) given."""
    ids = set(getattr(message, ATTRIBUTE, ())) | {int(pk) for pk in patient_ids if pk}
    setattr(message, ATTRIBUTE, ids)
    return message


def delivery_backend_path():
    return getattr(settings, "EMAIL_DELIVERY_BACKEND", "django.core.mail.backends.smtp.EmailBackend")


class RecordingBackend(BaseEmailBackend):
    def __init__(self, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self._kwargs = kwargs
        self.inner_class = import_string(delivery_backend_path())
        if self.inner_class is RecordingBackend:
            raise ValueError("EMAIL_DELIVERY_BACKEND must be a delivering backend")
        self.per_message_files = issubclass(self.inner_class, FileBackend)
        self.inner = None

    def _shared(self):
        if self.inner is None:
            self.inner = self.inner_class(fail_silently=self.fail_silently, **self._kwargs)
        return self.inner

    def open(self):
        if self.per_message_files:
            return False
        return self._shared().open()

    def close(self):
        if self.inner is not None:
            self.inner.close()

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages or ():
            if "Message-ID" not in message.extra_headers:
                message.extra_headers["Message-ID"] = make_msgid(domain=DNS_NAME)
            copy_path = ""
            if self.per_message_files:
                backend = self.inner_class(fail_silently=self.fail_silently, **self._kwargs)
                # One file per message (Django's names are per second and may be shared).
                backend._fname = os.path.join(
                    backend.file_path, f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex}.log"
                )
                count = backend.send_messages([message])
                copy_path = str(getattr(backend, "_fname", "") or "")
            else:
                count = self._shared().send_messages([message])
            if count:
                sent += count
                self._record(message, copy_path)
        return sent

    def _record(self, message, copy_path):
        from .models import SentMail

        try:
            with transaction.atomic():
                self._insert(SentMail, message, copy_path)
        except Exception:
            # The mail is out already; a failed log entry must not make the caller resend it.
            logger.exception("sent mail not recorded (%s)", copy_path or "no copy")

    def _insert(self, SentMail, message, copy_path):
        record = SentMail.objects.create(
            message_id=message.extra_headers.get("Message-ID", "")[:255],
            recipients=len(message.recipients()),
            backend=self.inner_class.__module__[:100],
            copy_path=copy_path,
        )
        patient_ids = getattr(message, ATTRIBUTE, ())
        if patient_ids:
            from network.models import PatientPage

            existing = PatientPage.objects.filter(pk__in=patient_ids).values_list("pk", flat=True)
            record.patients.add(*existing)
