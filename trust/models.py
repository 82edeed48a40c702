"""The network's own CA, device certificates, VPN numbers, disaster mode and pledges.

The CA's private key is kept encrypted (``trust.ca``); a device's private key exists only
inside its PKCS#12 bundle, which is deleted at its one download. Serial numbers are
stored as decimal strings (they are 159-bit integers: too large for a database integer).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

VPN_NUMBER_MAX = 9999
VPN_DEFAULT_PER_FACILITY = 2
DISASTER_MAX_HOURS = 72


class CertificateAuthority(models.Model):
    """The one CA of this network (one row)."""

    certificate_pem = models.TextField(_("CA証明書"))
    encrypted_key_pem = models.TextField(_("CA秘密鍵（暗号化）"))
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    crl_number = models.PositiveBigIntegerField(_("CRL番号"), default=0)
    crl_pem = models.TextField(_("CRL（PEM）"), blank=True)
    crl_der = models.BinaryField(_("CRL（DER）"), blank=True, default=b"")
    crl_updated_at = models.DateTimeField(_("CRL更新日時"), null=True, blank=True)
    crl_next_update = models.DateTimeField(_("CRL次回更新期限"), null=True, blank=True)

    class Meta:
        verbose_name = _("認証局")
        verbose_name_plural = _("認証局")

    def __str__(self):
        return f"CA {self.created_at:%Y-%m-%d}"


class DeviceCertificateQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, not_before__lte=now, not_after__gt=now)


class DeviceCertificate(models.Model):
    """A client certificate for one device of one person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        on_delete=models.PROTECT,
        related_name="device_certificates",
    )
    facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("施設"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="device_certificates",
    )
    device_name = models.CharField(_("端末名"), max_length=100)
    serial_number = models.CharField(_("シリアル番号"), max_length=50, unique=True)
    subject = models.CharField(_("サブジェクト"), max_length=300)
    fingerprint_sha256 = models.CharField(_("SHA-256指紋"), max_length=64)
    certificate_pem = models.TextField(_("証明書"))
    not_before = models.DateTimeField(_("有効期間の開始"))
    not_after = models.DateTimeField(_("有効期限"))
    issued_at = models.DateTimeField(_("発行日時"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("発行者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The PKCS#12 bundle (AES-256, password shown once to the issuer) until its download.
    bundle = models.BinaryField(_("PKCS#12"), null=True, blank=True, editable=False)
    download_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    download_expires_at = models.DateTimeField(_("受け取り期限"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("受け取り日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("失効日時"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("失効させた人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revocation_reason = models.CharField(_("失効理由"), max_length=200, blank=True)
    renewal_reminded_at = models.DateTimeField(_("更新案内の送信日時"), null=True, blank=True)

    objects = DeviceCertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("端末証明書")
        verbose_name_plural = _("端末証明書")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["user", "revoked_at"]),
            models.Index(fields=["revoked_at"]),
            models.Index(fields=["not_after"]),
        ]

    def __str__(self):
        return f"{self.device_name} ({self.serial_hex})"

    @property
    def serial_hex(self):
        return f"{int(self.serial_number):X}"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.not_after <= timezone.now()

    @property
    def is_active(self):
        return not self.is_revoked and not self.is_expired and self.not_before <= timezone.now()

    @property
    def awaiting_download(self):
        return self.downloaded_at is None and bool(self.download_token_hash)

    def status_label(self):
        if self.is_revoked:
            return _("失効")
        if self.is_expired:
            return _("期限切れ")
        if self.awaiting_download:
            return _("受け取り待ち")
        return _("有効")


class VpnNumber(models.Model):
    """One number of the pool 0000-9999, allocated to a facility; assigned within it.

    Uniqueness is the database's: two allocations of the same number cannot both commit.
    Deregistering the facility deletes the row, which returns the number to the pool.
    """

    number = models.PositiveSmallIntegerField(_("VPN番号"), unique=True)
    facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("施設"),
        on_delete=models.CASCADE,
        related_name="vpn_numbers",
    )
    allocated_at = models.DateTimeField(_("割当日時"), default=timezone.now)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vpn_numbers",
    )
    assigned_device = models.CharField(_("端末"), max_length=100, blank=True)
    assigned_at = models.DateTimeField(_("利用者への割当日時"), null=True, blank=True)
    # WireGuard peer configuration (optional), downloadable once, then deleted.
    wireguard_public_key = models.CharField(_("WireGuard公開鍵"), max_length=60, blank=True)
    wireguard_config = models.TextField(blank=True, editable=False)
    wireguard_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("VPN番号")
        verbose_name_plural = _("VPN番号")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=0) & Q(number__lte=VPN_NUMBER_MAX),
                name="vpn_number_in_pool",
            )
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return f"{self.number:04d}"


class DisasterModeQuerySet(models.QuerySet):
    def in_force(self, now=None):
        now = now or timezone.now()
        return self.filter(started_at__lte=now, ends_at__gt=now, ended_at__isnull=True)


class DisasterMode(models.Model):
    """A period (at most 72 hours) in which staff may sign in without a device certificate."""

    reason = models.CharField(_("理由"), max_length=300)
    started_at = models.DateTimeField(_("開始"), default=timezone.now)
    ends_at = models.DateTimeField(_("終了予定"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(_("手動終了"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DisasterModeQuerySet.as_manager()

    class Meta:
        verbose_name = _("災害時モード")
        verbose_name_plural = _("災害時モード")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("started_at")), name="disaster_mode_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.reason}"

    @property
    def finished_at(self):
        if self.ended_at and self.ended_at < self.ends_at:
            return self.ended_at
        return self.ends_at

    @property
    def in_force(self):
        now = timezone.now()
        return self.ended_at is None and self.started_at <= now < self.ends_at


class Pledge(models.Model):
    """Form 4 (秘密保持の誓約書) on file for one membership."""

    membership = models.OneToOneField(
        "network.FacilityMembership",
        verbose_name=_("所属"),
        on_delete=models.CASCADE,
        related_name="pledge",
    )
    received_on = models.DateField(_("受領日"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("誓約書（様式4）")
        verbose_name_plural = _("誓約書（様式4）")

    def __str__(self):
        return f"{self.membership} {self.received_on}"
