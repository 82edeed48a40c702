"""Facilities, memberships, patients and teams.

Teams are our own tables, not Wagtail page permissions: a patient's team is the
set of ``TeamLink`` rows (facility ↔ patient) and ``MemberLink`` rows (person ↔
patient, through one of that person's facilities). Who may see what is decided
from these tables by ``network.access`` alone.

Links are never deleted when they end: ``until`` is set, so history stays and the
next request already sees the change.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.url_routing import RouteResult

from .validators import normalize_facility_code, validate_facility_code


class FacilityKind(models.TextChoices):
    MEDICAL = "medical", _("医科医療機関")
    DENTAL = "dental", _("歯科医療機関")
    PHARMACY = "pharmacy", _("保険薬局")
    VISITING_NURSE = "visiting_nurse", _("訪問看護ステーション")
    HOME_CARE_SUPPORT = "home_care_support", _("居宅介護支援事業所")
    OTHER_SERVICE = "other_service", _("その他のサービス事業所")
    FAMILY = "family", _("患者・家族")
    FREE = "free", _("ヘルパー・民生委員等（無料）")


# Kinds without a 事業所番号 of their own.
KINDS_WITHOUT_CODE = {FacilityKind.FAMILY, FacilityKind.FREE}


class FacilityStatus(models.TextChoices):
    PROVISIONAL = "provisional", _("仮登録")
    ACTIVE = "active", _("本登録")
    DEREGISTERED = "deregistered", _("利用解除")


# Facilities whose members keep their access. A provisional facility is linked to
# patients before its administrator completes registration (flow ①).
USABLE_FACILITY_STATUSES = [FacilityStatus.PROVISIONAL, FacilityStatus.ACTIVE]


def active_q(now=None, prefix=""):
    """Q for rows whose [since, until) period contains ``now``."""
    now = now or timezone.now()
    return Q(**{f"{prefix}since__lte": now}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": now})
    )


class PeriodQuerySet(models.QuerySet):
    def active(self, now=None):
        return self.filter(active_q(now))


class PeriodMixin(models.Model):
    since = models.DateTimeField(_("開始"), default=timezone.now)
    until = models.DateTimeField(_("終了"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_active(self):
        now = timezone.now()
        return self.since <= now and (self.until is None or self.until > now)

    def clean(self):
        super().clean()
        if self.until and self.since and self.until < self.since:
            raise ValidationError({"until": _("終了日時は開始日時より後にしてください。")})


class Facility(models.Model):
    """A participating facility (施設・事業所), or a patient's family, or free participants."""

    kind = models.CharField(_("種別"), max_length=32, choices=FacilityKind.choices)
    code = models.CharField(
        _("事業所番号"),
        max_length=10,
        blank=True,
        help_text=_("10桁の数字。全角数字は半角に直します。患者・家族には不要です。"),
    )
    name = models.CharField(_("名称"), max_length=200)
    name_kana = models.CharField(_("名称（かな）"), max_length=200, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address = models.CharField(_("所在地"), max_length=300, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    fax = models.CharField(_("FAX番号"), max_length=20, blank=True)
    representative = models.CharField(_("代表者"), max_length=100, blank=True)
    admin_email = models.EmailField(
        _("管理画面ログイン用メールアドレス"),
        blank=True,
        help_text=_("施設内管理者のログインIDです。利用者として登録することはできません。"),
    )
    medical_net = models.BooleanField(_("医療連携（メディカルネット）参加"), default=False)
    vpn_request_count = models.PositiveSmallIntegerField(
        _("VPN申請数"),
        null=True,
        blank=True,
        help_text=_("原則1施設2個。WEB会議を使わない場合は空欄。"),
    )
    status = models.CharField(
        _("状態"), max_length=16, choices=FacilityStatus.choices, default=FacilityStatus.PROVISIONAL
    )
    family_of = models.OneToOneField(
        "network.PatientPage",
        verbose_name=_("患者（患者・家族施設の場合）"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="family_facility",
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    deregistered_at = models.DateTimeField(_("利用解除日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("施設")
        verbose_name_plural = _("施設")
        ordering = ["name_kana", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="facility_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(code="") | Q(code__regex=r"^[0-9]{10}$"),
                name="facility_code_ten_digits",
            ),
            models.CheckConstraint(
                condition=Q(family_of__isnull=True) | Q(kind=FacilityKind.FAMILY),
                name="facility_family_of_only_for_family",
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.code = normalize_facility_code(self.code)
        self.admin_email = (self.admin_email or "").strip().lower()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        self.code = normalize_facility_code(self.code)
        self.admin_email = (self.admin_email or "").strip().lower()
        if self.kind in KINDS_WITHOUT_CODE:
            if self.code:
                try:
                    validate_facility_code(self.code)
                except ValidationError as exc:
                    errors["code"] = exc.messages
        else:
            if not self.code:
                errors["code"] = [_("事業所番号（10桁）を入力してください。")]
            else:
                try:
                    validate_facility_code(self.code)
                except ValidationError as exc:
                    errors["code"] = exc.messages
        if self.kind == FacilityKind.FAMILY and self.family_of_id is None:
            errors["family_of"] = [_("患者・家族施設には患者を指定してください。")]
        if self.kind != FacilityKind.FAMILY and self.family_of_id is not None:
            errors["family_of"] = [_("患者を指定できるのは患者・家族施設だけです。")]
        if self.admin_email:
            from .rules import admin_email_conflict

            message = admin_email_conflict(self.admin_email, facility=self)
            if message:
                errors["admin_email"] = [message]
        if errors:
            raise ValidationError(errors)

    @property
    def is_usable(self):
        return self.status in USABLE_FACILITY_STATUSES


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("施設内管理者")
    STAFF = "staff", _("利用者（医療・介護関係者）")
    FAMILY = "family", _("患者・家族")


class FacilityMembership(PeriodMixin):
    """A person's place in a facility: its administrator, a staff member, or family."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("施設"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("役割"), max_length=16, choices=MembershipRole.choices)
    job_title = models.CharField(
        _("職種"), max_length=50, blank=True, help_text=_("例：医師、看護師、薬剤師、ケアマネジャー")
    )
    relation = models.CharField(
        _("続柄"), max_length=30, blank=True, help_text=_("患者・家族の場合。例：本人、長女")
    )

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("施設の所属")
        verbose_name_plural = _("施設の所属")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "facility"],
                condition=Q(until__isnull=True),
                name="membership_one_open_per_user_facility",
            )
        ]
        indexes = [
            models.Index(fields=["user", "facility"]),
            models.Index(fields=["facility", "role"]),
        ]

    def __str__(self):
        return f"{self.user} / {self.facility} ({self.get_role_display()})"

    def clean(self):
        super().clean()
        from .rules import membership_conflict

        if self.user_id and self.facility_id:
            message = membership_conflict(self.user, self.facility, self.role, exclude=self.pk)
            if message:
                raise ValidationError(message)


class NetworkRootPage(Page):
    """Root of the private tree. Never shows anything itself; asks anonymous visitors to sign in.

    Routing below it is uniform for anonymous users (existing or not), so a URL
    reveals nothing.
    """

    parent_page_types = ["cms.HomePage"]
    subpage_types = [
        "network.FacilitiesIndexPage",
        "network.PatientsIndexPage",
        "forms.SubmissionsIndexPage",
    ]
    max_count = 1
    preview_modes = []

    class Meta:
        verbose_name = _("ネットワーク（非公開）")

    def route(self, request, path_components):
        if not request.user.is_authenticated:
            return RouteResult(self, kwargs={"login_required": True})
        return super().route(request, path_components)

    def serve(self, request, *args, login_required=False, **kwargs):
        if login_required:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        return redirect("network:home")


class FacilitiesIndexPage(Page):
    """Container in the private tree for facility-level content (submissions, ledgers)."""

    parent_page_types = ["network.NetworkRootPage"]
    subpage_types = []
    max_count = 1
    preview_modes = []

    class Meta:
        verbose_name = _("施設一覧（非公開）")

    def serve(self, request, *args, **kwargs):
        raise Http404


class PatientsIndexPage(Page):
    """Container of the patients; the list itself is the user's home, filtered by the policy."""

    parent_page_types = ["network.NetworkRootPage"]
    subpage_types = ["network.PatientPage"]
    max_count = 1
    preview_modes = []

    class Meta:
        verbose_name = _("患者一覧（非公開）")

    def serve(self, request, *args, **kwargs):
        return redirect("network:home")


class Sex(models.TextChoices):
    FEMALE = "female", _("女")
    MALE = "male", _("男")
    OTHER = "other", _("その他・回答しない")


class PatientPage(Page):
    """A patient (サービス利用者): the home of their private timeline.

    The slug is a random identifier so that no name ever appears in a URL. Every
    way in goes through ``network.access``; preview is disabled so the Wagtail
    admin can never render a patient's thread.
    """

    patient_id = models.UUIDField(_("患者ID"), default=uuid.uuid4, unique=True, editable=False)
    name_kana = models.CharField(_("氏名（かな）"), max_length=200)
    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    sex = models.CharField(_("性別"), max_length=10, choices=Sex.choices, blank=True)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    consent_date = models.DateField(_("同意日"), null=True, blank=True)
    secretariat_note = RichTextField(
        _("事務局メモ"), blank=True, features=["bold", "link"], help_text=_("医療情報は書かないでください。")
    )

    parent_page_types = ["network.PatientsIndexPage"]
    subpage_types = []
    preview_modes = []

    content_panels = [
        FieldPanel("title", heading=_("氏名")),
        FieldPanel("name_kana"),
        MultiFieldPanel(
            [FieldPanel("birth_date"), FieldPanel("sex"), FieldPanel("address")],
            heading=_("基本情報"),
        ),
        FieldPanel("consent_date"),
        FieldPanel("secretariat_note"),
    ]
    promote_panels = []

    class Meta:
        verbose_name = _("患者")
        verbose_name_plural = _("患者")

    def full_clean(self, *args, **kwargs):
        if not self.slug:
            self.slug = self.patient_id.hex
        super().full_clean(*args, **kwargs)

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self.patient_id.hex
        super().save(*args, **kwargs)

    def serve(self, request, *args, **kwargs):
        """The patient's timeline, for the team only."""
        from timeline.views import timeline_page

        from . import access

        if not access.can_view_patient(request.user, self):
            from audit import log as audit_log

            audit_log.record("patient.view", request=request, target=self, patient=self, decision="denied")
            raise Http404
        return timeline_page(request, self)

    def serve_preview(self, request, mode_name):
        """Never: a preview would render the thread for whoever edits the page (the secretariat)."""
        raise Http404

    def active_team(self, members):
        """[(facility, [members])] of the team now, family last. Callers check access first.

        ``members`` is ``access.team_of(self)``; a linked facility with nobody in it yet
        is listed too.
        """
        links = (
            TeamLink.objects.active(timezone.now())
            .filter(patient=self, facility__status__in=USABLE_FACILITY_STATUSES)
            .select_related("facility")
        )
        by_facility = {}
        for member in members:
            by_facility.setdefault(member.facility_id, []).append(member)
        team = [(tl.facility, by_facility.get(tl.facility_id, [])) for tl in links]
        team.sort(key=lambda item: (item[0].kind == FacilityKind.FAMILY, item[0].name_kana))
        return team


class TeamLink(PeriodMixin):
    """A facility belongs to a patient's team from ``since`` until ``until``."""

    patient = models.ForeignKey(
        PatientPage, verbose_name=_("患者"), on_delete=models.CASCADE, related_name="team_links"
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("施設"), on_delete=models.CASCADE, related_name="team_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("チーム（施設）")
        verbose_name_plural = _("チーム（施設）")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "facility"],
                condition=Q(until__isnull=True),
                name="teamlink_one_open_per_patient_facility",
            )
        ]
        indexes = [
            models.Index(fields=["patient", "facility"]),
            models.Index(fields=["facility", "patient"]),
        ]

    def __str__(self):
        return f"{self.patient.title} ← {self.facility.name}"

    def clean(self):
        super().clean()
        if not (self.facility_id and self.patient_id):
            return
        facility = self.facility
        if facility.kind == FacilityKind.FAMILY and facility.family_of_id != self.patient_id:
            raise ValidationError(_("患者・家族施設は、その患者のチームにだけ参加できます。"))
        if facility.status == FacilityStatus.DEREGISTERED:
            raise ValidationError(_("利用解除された施設はチームに追加できません。"))
        if self.until is None:
            clash = TeamLink.objects.filter(
                patient_id=self.patient_id, facility_id=self.facility_id, until__isnull=True
            ).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(_("この施設はすでにこの患者のチームに入っています。"))


class MemberLink(PeriodMixin):
    """A person takes part in a patient's team as a member of one of their facilities."""

    patient = models.ForeignKey(
        PatientPage, verbose_name=_("患者"), on_delete=models.CASCADE, related_name="member_links"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        on_delete=models.CASCADE,
        related_name="member_links",
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("所属施設"), on_delete=models.CASCADE, related_name="member_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("チーム（利用者）")
        verbose_name_plural = _("チーム（利用者）")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "user", "facility"],
                condition=Q(until__isnull=True),
                name="memberlink_one_open_per_patient_user_facility",
            )
        ]
        indexes = [
            models.Index(fields=["user", "patient"]),
            models.Index(fields=["patient", "facility"]),
        ]

    def __str__(self):
        return f"{self.patient.title} ← {self.user} ({self.facility.name})"

    def clean(self):
        super().clean()
        if not (self.facility_id and self.patient_id and self.user_id):
            return
        membership = FacilityMembership.objects.active().filter(
            user_id=self.user_id, facility_id=self.facility_id
        ).first()
        if membership is None or membership.role == MembershipRole.ADMIN:
            raise ValidationError(_("この施設の利用者だけを患者に追加できます。"))
        if not TeamLink.objects.active().filter(
            patient_id=self.patient_id, facility_id=self.facility_id
        ).exists():
            raise ValidationError(_("この施設はこの患者のチームに入っていません。"))
