"""What remains after a consent withdrawal, and the metadata of sent mail.

A ``Tombstone`` is the deletion journal's entry: a random certificate number, when,
by whom (a user id), the form-7 reference number and how many things of each kind
were deleted. It holds no name, kana, birth date, address or text of the patient:
the patient is identified only by the SHA-256 of their random patient id, which is
what a restore needs to delete them again (``erasure.services.reapply_journal``).

``SentMail`` is the sent-mail log: metadata only (no addresses, no subject, no
body), the path of the copy the file backend wrote, and the patients a mail was
about, so that the purge can delete those copies.
"""

import hashlib
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


def patient_digest(patient_id):
    """The one-way identifier of a patient in the deletion journal."""
    value = patient_id.hex if isinstance(patient_id, uuid.UUID) else uuid.UUID(str(patient_id)).hex
    return hashlib.sha256(f"mimamori-patient:{value}".encode()).hexdigest()


class Tombstone(models.Model):
    id = models.UUIDField(_("削除証明書番号"), primary_key=True, default=uuid.uuid4, editable=False)
    patient_digest = models.CharField(max_length=64, unique=True, editable=False)
    withdrawn_at = models.DateTimeField(_("削除日時"))
    reference = models.CharField(_("受付番号（様式7）"), max_length=50, blank=True)
    reason = models.CharField(_("区分"), max_length=100, blank=True)
    by_user_id = models.BigIntegerField(_("実行者（利用者ID）"), null=True, blank=True)
    counts = models.JSONField(_("削除件数"), default=dict)
    facility_ids = models.JSONField(_("チームの施設（施設ID）"), default=list)
    reapplied_at = models.DateTimeField(_("復元後の再削除日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("削除記録")
        verbose_name_plural = _("削除記録")
        ordering = ["-withdrawn_at"]

    def __str__(self):
        return f"{self.id}"

    def journal_line(self):
        return {
            "id": str(self.id),
            "patient_digest": self.patient_digest,
            "withdrawn_at": self.withdrawn_at.isoformat(),
            "reference": self.reference,
            "reason": self.reason,
            "by_user_id": self.by_user_id,
            "counts": self.counts,
            "facility_ids": self.facility_ids,
        }


class SentMail(models.Model):
    sent_at = models.DateTimeField(auto_now_add=True)
    message_id = models.CharField(max_length=255, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    backend = models.CharField(max_length=100)
    copy_path = models.CharField(max_length=500, blank=True)
    patients = models.ManyToManyField("network.PatientPage", blank=True, related_name="+")

    class Meta:
        verbose_name = _("送信メール記録")
        verbose_name_plural = _("送信メール記録")
        ordering = ["-id"]

    def __str__(self):
        return f"mail {self.pk}"
