"""Audit entries. Each holds the SHA-256 of the previous entry and of its own content,
so an altered, removed or inserted entry breaks the chain (``audit.log.verify``).

No medical content is ever written here: identifiers and action names only.
"""

from django.db import models


class AuditEntry(models.Model):
    class Decision(models.TextChoices):
        ALLOWED = "allowed", "allowed"
        DENIED = "denied", "denied"

    created_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    facility_id = models.BigIntegerField(null=True, blank=True)
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, default=Decision.ALLOWED)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    disaster_mode = models.BooleanField(default=False)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "監査ログ"
        verbose_name_plural = "監査ログ"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"


class ChainHead(models.Model):
    """One row holding the newest entry's hash; locking it serialises writers on PostgreSQL."""

    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return self.last_hash


class UserSession(models.Model):
    """Which session keys belong to whom, so that signing out or deactivating an account
    can end every session of that person (other browsers and devices too)."""

    user_id = models.BigIntegerField(db_index=True)
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "利用者のセッション"
        verbose_name_plural = "利用者のセッション"

    def __str__(self):
        return f"{self.user_id}: {self.created_at:%Y-%m-%d %H:%M}"
