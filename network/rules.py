"""Integrity rules across rows that a single constraint cannot express.

The guide's rule: the facility administrator's login e-mail is only for the
management screen and can never also be registered as a user (利用者).
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

ADMIN_EMAIL_AS_USER = _(
    "このメールアドレスは施設内管理者の管理画面ログイン用です。利用者として登録することはできません。"
)
USER_EMAIL_AS_ADMIN = _(
    "このメールアドレスはすでに利用者として登録されています。管理画面ログイン用には別のアドレスを指定してください。"
)


def admin_email_conflict(email, facility=None):
    """Message if ``email`` may not be a facility's admin login, else ``None``."""
    from .models import FacilityMembership, MembershipRole

    email = (email or "").strip().lower()
    user = get_user_model().objects.filter(email__iexact=email).first()
    if user is None:
        return None
    if FacilityMembership.objects.filter(user=user).exclude(role=MembershipRole.ADMIN).exists():
        return USER_EMAIL_AS_ADMIN
    return None


def membership_conflict(user, facility, role, exclude=None):
    """Message if ``user`` may not take ``role`` in ``facility``, else ``None``."""
    from .models import Facility, FacilityKind, FacilityMembership, MembershipRole

    others = FacilityMembership.objects.filter(user=user)
    if exclude:
        others = others.exclude(pk=exclude)
    if role == MembershipRole.ADMIN:
        if others.exclude(role=MembershipRole.ADMIN).exists():
            return USER_EMAIL_AS_ADMIN
        if facility.kind == FacilityKind.FAMILY:
            return _("患者・家族施設に施設内管理者は置けません。")
        return None
    if others.filter(role=MembershipRole.ADMIN).exists():
        return ADMIN_EMAIL_AS_USER
    if Facility.objects.filter(admin_email__iexact=user.email).exists():
        return ADMIN_EMAIL_AS_USER
    if role == MembershipRole.FAMILY and facility.kind != FacilityKind.FAMILY:
        return _("患者・家族は患者・家族施設にだけ所属できます。")
    if role == MembershipRole.STAFF and facility.kind == FacilityKind.FAMILY:
        return _("患者・家族施設には患者本人と家族だけが所属できます。")
    return None
