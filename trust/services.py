"""Certificates, VPN numbers and disaster mode: every change in one transaction, audited.

Callers have asked ``network.access``; refusals that depend on the data (revoked twice,
downloaded twice, pool exhausted, number already assigned, too long a disaster mode)
raise ``TrustError`` with the Japanese message to show.
"""

import base64
import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from audit import log as audit_log

from . import ca
from .models import (
    DISASTER_MAX_HOURS,
    VPN_DEFAULT_PER_FACILITY,
    VPN_NUMBER_MAX,
    DeviceCertificate,
    DisasterMode,
    VpnNumber,
)

RENEWAL_NOTICE = datetime.timedelta(days=30)


class TrustError(Exception):
    """A refusal with a message for the person who asked."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- Certificates ----------------------------------------------------------------


def issue_certificate(target, device_name, *, facility, actor, request=None, mail_link=True):
    device_name = (device_name or "").strip()
    if not device_name:
        raise TrustError(_("端末名を入力してください（例：訪問用タブレット1）。"))
    if settings.DEBUG and not ca.CertificateAuthority.objects.exists():
        ca.init_ca()  # the embedded demo (`make run`) gets its CA on first use
    try:
        with transaction.atomic():
            cert, password, token = ca.issue_client_certificate(
                target, device_name, facility=facility, issued_by=actor
            )
            audit_log.record(
                "certificate.issue", request=request, actor=actor, target=cert, facility=facility,
                serial=cert.serial_hex,
            )
    except ca.CANotInitialised as exc:
        raise TrustError(
            _("認証局がまだ作成されていません。システム管理者に manage.py init_ca の実行を依頼してください。")
        ) from exc
    if mail_link:
        transaction.on_commit(lambda: _mail_download_link(cert, token))
    return cert, password, token


def download_url(token):
    from django.urls import reverse

    return settings.SITE_BASE_URL.rstrip("/") + reverse("devices:download", args=[token])


def _mail_download_link(cert, token):
    """The link goes to the certificate's owner; the password never goes by mail."""
    body = _(
        "%(name)s 様\n\n"
        "みまもりSNSの端末証明書（端末：%(device)s）を発行しました。\n"
        "次のリンクから一度だけ受け取れます（有効期限：%(expires)s）。\n\n%(url)s\n\n"
        "証明書を取り込むためのパスワードは、このメールには書かれていません。\n"
        "発行した施設内管理者から直接受け取ってください。\n"
        "心当たりがない場合は、施設内管理者に連絡してください。\n"
    ) % {
        "name": cert.user.get_full_name(),
        "device": cert.device_name,
        "expires": timezone.localtime(cert.download_expires_at).strftime("%Y年%m月%d日 %H:%M"),
        "url": download_url(token),
    }
    send_mail(
        settings.EMAIL_SUBJECT_PREFIX + _("端末証明書の受け取り"),
        body,
        None,
        [cert.user.email],
    )


def take_bundle(token, *, request=None):
    """The PKCS#12 bytes for ``token``, once. Later calls are refused."""
    if not token:
        raise TrustError(_("受け取りリンクが正しくありません。"))
    with transaction.atomic():
        cert = (
            DeviceCertificate.objects.select_for_update()
            .filter(download_token_hash=ca.token_hash(token))
            .first()
        )
        if cert is None:
            raise TrustError(_("受け取りリンクが正しくありません。"))
        if cert.downloaded_at is not None or cert.bundle is None:
            raise TrustError(
                _("この証明書はすでに受け取られています。受け取りは一度だけです。心当たりがない場合は、すぐに施設内管理者に連絡して証明書を失効させてください。")
            )
        if cert.revoked_at is not None:
            raise TrustError(_("この証明書は失効しているため、受け取れません。"))
        if cert.download_expires_at and cert.download_expires_at <= timezone.now():
            raise TrustError(_("受け取りの期限が過ぎています。施設内管理者に再発行を依頼してください。"))
        bundle = bytes(cert.bundle)
        cert.bundle = None
        cert.downloaded_at = timezone.now()
        cert.save(update_fields=["bundle", "downloaded_at"])
        audit_log.record("certificate.download", request=request, actor=cert.user, target=cert)
    return cert, bundle


def revoke_certificate(cert, *, actor, reason="", request=None):
    with transaction.atomic():
        updated = DeviceCertificate.objects.filter(pk=cert.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(),
            revoked_by=actor,
            revocation_reason=(reason or "")[:200],
            bundle=None,
        )
        if not updated:
            raise TrustError(_("この証明書はすでに失効しています。"))
        cert.refresh_from_db()
        audit_log.record(
            "certificate.revoke", request=request, actor=actor, target=cert,
            facility=cert.facility, serial=cert.serial_hex,
        )
        ca.regenerate_crl()
    return cert


def revoke_all_of(user, *, actor=None, facility=None, reason=""):
    """Revoke every active certificate of ``user`` (through ``facility`` if given); one CRL."""
    certs = DeviceCertificate.objects.filter(user=user, revoked_at__isnull=True)
    if facility is not None:
        certs = certs.filter(facility=facility)
    with transaction.atomic():
        count = certs.update(revoked_at=timezone.now(), revoked_by=actor, revocation_reason=reason, bundle=None)
        if count:
            ca.regenerate_crl()
    return count


def send_renewal_reminders(now=None):
    """Mail the owners of certificates expiring within 30 days (once per certificate)."""
    now = now or timezone.now()
    due = (
        DeviceCertificate.objects.active(now)
        .filter(not_after__lte=now + RENEWAL_NOTICE, renewal_reminded_at__isnull=True)
        .select_related("user", "facility")
    )
    sent = 0
    for cert in due:
        body = _(
            "%(name)s 様\n\n"
            "みまもりSNSの端末証明書（端末：%(device)s）の有効期限は %(date)s です。\n"
            "期限が過ぎるとこの端末からは利用できなくなります。\n"
            "施設内管理者に新しい証明書の発行を依頼してください。\n"
        ) % {
            "name": cert.user.get_full_name(),
            "device": cert.device_name,
            "date": timezone.localtime(cert.not_after).strftime("%Y年%m月%d日"),
        }
        send_mail(
            settings.EMAIL_SUBJECT_PREFIX + _("端末証明書の有効期限が近づいています"),
            body,
            None,
            [cert.user.email],
        )
        DeviceCertificate.objects.filter(pk=cert.pk).update(renewal_reminded_at=now)
        sent += 1
    return sent


# --- VPN numbers -----------------------------------------------------------------


def _free_numbers(count):
    used = set(VpnNumber.objects.values_list("number", flat=True))
    free = []
    for number in range(VPN_NUMBER_MAX + 1):
        if number not in used:
            free.append(number)
            if len(free) == count:
                break
    return free


def allocate_vpn_numbers(facility, count=None, *, actor=None, request=None, attempts=5):
    """Give ``facility`` ``count`` numbers (form 1's request, two by default), lowest free first.

    Two allocations racing for the same number: the unique constraint lets one commit,
    the other retries with the next free numbers.
    """
    if count is None:
        count = facility.vpn_request_count or VPN_DEFAULT_PER_FACILITY
    if count < 1:
        raise TrustError(_("割り当てる数は1以上にしてください。"))
    if not facility.is_usable:
        raise TrustError(_("利用解除された施設にはVPN番号を割り当てられません。"))
    for _attempt in range(attempts):
        free = _free_numbers(count)
        if len(free) < count:
            raise TrustError(
                _("VPN番号の空きが足りません（0000〜9999のうち空きは%(free)d個、必要な数は%(count)d個）。")
                % {"free": len(free), "count": count}
            )
        try:
            with transaction.atomic():
                created = VpnNumber.objects.bulk_create(
                    [VpnNumber(number=n, facility=facility, allocated_by=actor) for n in free]
                )
                audit_log.record(
                    "vpn.allocate", request=request, actor=actor, target=facility,
                    facility=facility, numbers=[f"{n:04d}" for n in free],
                )
            return created
        except IntegrityError:
            continue
    raise TrustError(_("ほかの割り当てと重なりました。もう一度お試しください。"))


def assign_vpn_number(vpn, user, *, device="", actor=None, request=None):
    """Assign a facility's number to one of its people; a number held by someone is refused."""
    with transaction.atomic():
        updated = VpnNumber.objects.filter(pk=vpn.pk, assigned_user__isnull=True).update(
            assigned_user=user, assigned_device=(device or "")[:100], assigned_at=timezone.now()
        )
        if not updated:
            holder = VpnNumber.objects.filter(pk=vpn.pk).select_related("assigned_user").first()
            name = holder.assigned_user.get_full_name() if holder and holder.assigned_user else ""
            raise TrustError(
                _("VPN番号 %(number)s はすでに %(name)s さんに割り当てられています。先に割り当てを解除してください。")
                % {"number": vpn.label, "name": name}
            )
        audit_log.record(
            "vpn.assign", request=request, actor=actor, target=vpn, facility=vpn.facility,
            number=vpn.label,
        )
    vpn.refresh_from_db()
    return vpn


def unassign_vpn_number(vpn, *, actor=None, request=None):
    with transaction.atomic():
        VpnNumber.objects.filter(pk=vpn.pk).update(
            assigned_user=None, assigned_device="", assigned_at=None,
            wireguard_public_key="", wireguard_config="", wireguard_downloaded_at=None,
        )
        audit_log.record("vpn.unassign", request=request, actor=actor, target=vpn, facility=vpn.facility)
    vpn.refresh_from_db()
    return vpn


def release_vpn_numbers(facility):
    """Return every number of ``facility`` to the pool (deregistration)."""
    count, _ = VpnNumber.objects.filter(facility=facility).delete()
    return count


def make_wireguard_peer(vpn, *, actor=None, request=None):
    """A WireGuard peer configuration for an assigned number (X25519 key pair), stored until
    its one download. The server side needs only the public key, shown in the list."""
    if vpn.assigned_user_id is None:
        raise TrustError(_("先にVPN番号を利用者に割り当ててください。"))
    key = X25519PrivateKey.generate()
    private = base64.b64encode(
        key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    ).decode()
    public = base64.b64encode(
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()
    endpoint = getattr(settings, "TRUST_WIREGUARD_ENDPOINT", "") or "vpn.example.invalid:51820"
    server_key = getattr(settings, "TRUST_WIREGUARD_SERVER_PUBLIC_KEY", "") or "SERVER_PUBLIC_KEY"
    config = (
        "[Interface]\n"
        f"# みまもりSNS VPN {vpn.label}\n"
        f"PrivateKey = {private}\n"
        f"Address = 10.{100 + vpn.number // 10000}.{vpn.number // 100}.{vpn.number % 100 + 1}/32\n\n"
        "[Peer]\n"
        f"PublicKey = {server_key}\n"
        f"Endpoint = {endpoint}\n"
        "AllowedIPs = 10.100.0.0/16\n"
        "PersistentKeepalive = 25\n"
    )
    with transaction.atomic():
        VpnNumber.objects.filter(pk=vpn.pk).update(
            wireguard_public_key=public, wireguard_config=config, wireguard_downloaded_at=None
        )
        audit_log.record("vpn.wireguard", request=request, actor=actor, target=vpn, facility=vpn.facility)
    vpn.refresh_from_db()
    return vpn


def take_wireguard_config(vpn, *, request=None):
    with transaction.atomic():
        row = VpnNumber.objects.select_for_update().get(pk=vpn.pk)
        if not row.wireguard_config:
            raise TrustError(_("この設定はすでに受け取られています。受け取りは一度だけです。"))
        config = row.wireguard_config
        row.wireguard_config = ""
        row.wireguard_downloaded_at = timezone.now()
        row.save(update_fields=["wireguard_config", "wireguard_downloaded_at"])
        audit_log.record("vpn.wireguard_download", request=request, target=row, facility=row.facility)
    return config


# --- Disaster mode ------------------------------------------------------------------


def current_disaster_mode(now=None):
    return DisasterMode.objects.in_force(now).order_by("-started_at").first()


def start_disaster_mode(reason, hours, *, actor, request=None, now=None):
    reason = (reason or "").strip()
    if not reason:
        raise TrustError(_("災害時モードにする理由を入力してください。"))
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise TrustError(_("期間は時間単位の数字で入力してください（1〜72）。")) from None
    if hours < 1 or hours > DISASTER_MAX_HOURS:
        raise TrustError(
            _("災害時モードの期間は1時間以上72時間以内です（入力：%(hours)d時間）。延長する場合は、終了後にあらためて開始してください。")
            % {"hours": hours}
        )
    now = now or timezone.now()
    with transaction.atomic():
        if DisasterMode.objects.select_for_update().in_force(now).exists():
            raise TrustError(_("災害時モードはすでに有効です。"))
        mode = DisasterMode.objects.create(
            reason=reason[:300], started_at=now, ends_at=now + datetime.timedelta(hours=hours),
            started_by=actor,
        )
        audit_log.record("disaster.start", request=request, actor=actor, target=mode, hours=hours)
    return mode


def end_disaster_mode(mode, *, actor, request=None):
    with transaction.atomic():
        updated = DisasterMode.objects.in_force().filter(pk=mode.pk).update(
            ended_at=timezone.now(), ended_by=actor
        )
        if not updated:
            raise TrustError(_("この災害時モードはすでに終了しています。"))
        audit_log.record("disaster.end", request=request, actor=actor, target=mode)
    mode.refresh_from_db()
    return mode


def disaster_report(mode):
    """Audit entries written while ``mode`` was in force, flagged as disaster mode."""
    from audit.models import AuditEntry

    return AuditEntry.objects.filter(
        disaster_mode=True, created_at__gte=mode.started_at, created_at__lt=mode.finished_at
    ).order_by("id")


def facility_deregistered(facility):
    """Deregistration (form 6): the facility's VPN numbers return to the pool and the
    certificates issued through it are revoked."""
    released = release_vpn_numbers(facility)
    revoked = DeviceCertificate.objects.filter(facility=facility, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revocation_reason=_("施設の利用解除"), bundle=None
    )
    if revoked:
        ca.regenerate_crl()
    return released, revoked
