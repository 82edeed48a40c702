"""What accepting each form changes (SPEC §4, §5), shown first as a plan, then applied.

``for_submission(submission, options)`` returns the form's effect. ``plan()`` lists the
changes in Japanese and the problems that block accepting, and changes nothing;
``apply(actor)`` makes the changes through ``network.services`` (versioned with
django-reversion) inside the caller's transaction and queues the mails for after commit.
``forms.review.accept`` runs both in one transaction and only once per submission.

``options`` are what the clerk decides on the accept screen: the patient of forms 7 and 8
(when the form came without one), the new facility data of form 3.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.invitations import send_invitation
from network import services
from network.models import (
    Facility,
    FacilityKind,
    FacilityMembership,
    FacilityStatus,
    MembershipRole,
    PatientPage,
    PatientsIndexPage,
    TeamLink,
)
from network.rules import admin_email_conflict
from network.validators import normalize_facility_code

from . import notices

CODE_RE = re.compile(r"(?<![0-9])[0-9]{10}(?![0-9])")
# Facility fields form 3 may change (the clerk enters the new values from the form).
CHANGEABLE_FIELDS = [
    "code", "name", "name_kana", "postal_code", "address", "phone", "fax", "representative",
    "admin_email",
]


class EffectError(Exception):
    """An effect that cannot be applied after all; the message is for the clerk (Japanese)."""


@dataclass
class Plan:
    changes: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def _split_name(full):
    parts = re.split(r"[\s\u3000]+", (full or "").strip(), maxsplit=1)
    return (parts[0], parts[1] if len(parts) > 1 else "")


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _email_in_use(email):
    return get_user_model().objects.filter(email__iexact=(email or "").strip()).exists()


def _invite_after_commit(user, facility, actor, subject=None):
    transaction.on_commit(lambda: send_invitation(user, facility, invited_by=actor, subject=subject))


def _patient_option(options, submission):
    patient = submission.patient
    if patient is None and options.get("patient"):
        patient = PatientPage.objects.filter(pk=options["patient"]).first()
    return patient


def _facility_of(submission):
    if submission.facility_id:
        return submission.facility
    code = normalize_facility_code(submission.data.get("facility_code", ""))
    return Facility.objects.filter(code=code).first() if code else None


class Effect:
    def __init__(self, submission, options):
        self.submission = submission
        self.options = options
        self.data = submission.data

    def plan(self):
        return Plan(changes=[_("この様式は記録として保管します（登録内容の変更はありません）。")])

    def apply(self, actor):
        """Nothing to change: the form is kept as a record."""


class NewFacility(Effect):
    """Form 1: the facility (仮登録) and its administrator, invited by a single-use link."""

    def plan(self):
        plan = Plan()
        code = normalize_facility_code(self.data.get("facility_code", ""))
        email = (self.data.get("admin_email") or "").strip().lower()
        existing = Facility.objects.filter(code=code).first() if code else None
        if existing is not None:
            plan.problems.append(
                _("事業所番号 %(code)s の施設（%(name)s）はすでに登録されています。登録内容の変更は様式3で申請してください。")
                % {"code": code, "name": existing.name}
            )
        if not email:
            plan.problems.append(_("管理画面ログイン用メールアドレスがありません。"))
        elif _email_in_use(email):
            plan.problems.append(
                admin_email_conflict(email)
                or _("メールアドレス %(email)s はすでに別のアカウントで使われています。別のアドレスを指定してもらってください。")
                % {"email": email}
            )
        plan.changes += [
            _("施設「%(name)s」（事業所番号 %(code)s）を仮登録します。") % {"name": self.data.get("facility_name", ""), "code": code},
            _("施設内管理者 %(name)s（%(email)s）のアカウントを作成し、招待メール（パスワードと2段階認証の登録、72時間有効）を送ります。")
            % {"name": self.data.get("admin_name", ""), "email": email},
            _("施設内管理者が登録を終えると本登録となり、施設が利用できるようになります。"),
        ]
        vpn = self.data.get("vpn_count")
        if vpn not in (None, ""):
            plan.changes.append(_("VPN番号を%(count)s個割り当てます。") % {"count": vpn})
        return plan

    def apply(self, actor):
        d = self.data
        vpn = d.get("vpn_count")
        facility = Facility(
            kind=d.get("facility_kind") or FacilityKind.OTHER_SERVICE,
            code=d.get("facility_code", ""),
            name=d.get("facility_name", ""),
            name_kana=d.get("facility_name_kana", ""),
            postal_code=d.get("postal_code", ""),
            address=d.get("address", ""),
            phone=d.get("phone", ""),
            fax=d.get("fax", ""),
            representative=d.get("representative", ""),
            admin_email=d.get("admin_email", ""),
            medical_net=d.get("medical_net") == "yes",
            vpn_request_count=int(vpn) if vpn not in (None, "") else None,
            status=FacilityStatus.PROVISIONAL,
        )
        services.save_facility(facility, actor=actor, comment=_("様式1の受理：施設を仮登録"))
        admin = _new_user(d.get("admin_email"), d.get("admin_name"), d.get("admin_name_kana"))
        services.add_membership(admin, facility, MembershipRole.ADMIN, actor=actor)
        self.submission.facility = facility
        if facility.vpn_request_count:
            from trust.services import TrustError, allocate_vpn_numbers

            try:
                allocate_vpn_numbers(facility, facility.vpn_request_count, actor=actor)
            except TrustError as exc:
                raise EffectError(str(exc)) from exc
        _invite_after_commit(admin, facility, actor, subject=notices.ADMIN_INVITATION)


def _new_user(email, name, kana=""):
    last, first = _split_name(name)
    last_kana, first_kana = _split_name(kana)
    return services.create_user(email, last, first, last_kana, first_kana)


class FacilityChange(Effect):
    """Form 3: the facility's data (and its administrator) change; the code stays 10 digits."""

    def _facility(self):
        return _facility_of(self.submission)

    def _new_values(self, facility):
        given = self.options.get("facility") or {}
        return {
            name: (given[name] if name in given else getattr(facility, name))
            for name in CHANGEABLE_FIELDS
        }

    def plan(self):
        plan = Plan()
        facility = self._facility()
        if facility is None:
            plan.problems.append(_("変更する施設が見つかりません。事業所番号を確認してください。"))
            return plan
        if facility.status == FacilityStatus.DEREGISTERED:
            plan.problems.append(_("この施設はすでに利用解除されています。"))
        values = self._new_values(facility)
        candidate = Facility(**{**_facility_fields(facility), **values})
        candidate.pk = facility.pk
        candidate._state.adding = False  # unique checks leave the facility itself out
        try:
            candidate.full_clean(exclude=["family_of"])
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                plan.problems.extend(messages)
        for name in CHANGEABLE_FIELDS:
            old, new = getattr(facility, name), getattr(candidate, name)
            if (old or "") != (new or ""):
                label = Facility._meta.get_field(name).verbose_name
                plan.changes.append(_("%(label)s：%(old)s → %(new)s") % {"label": label, "old": old or "—", "new": new or "—"})
        new_email = candidate.admin_email
        if new_email and new_email != facility.admin_email:
            if not (self.options.get("admin_name") or "").strip():
                plan.problems.append(_("新しい施設内管理者の氏名を入力してください。"))
            elif _email_in_use(new_email):
                plan.problems.append(
                    _("メールアドレス %(email)s はすでに別のアカウントで使われています。") % {"email": new_email}
                )
            plan.changes.append(
                _("施設内管理者を交代します：これまでの管理者は管理画面を使えなくなり、新しい管理者に招待メールを送ります。")
            )
        if not plan.changes:
            plan.changes.append(_("変更する項目がありません（記録として保管します）。"))
        else:
            plan.changes.append(_("施設の管理者に変更完了のメールを送ります。"))
        return plan

    def apply(self, actor):
        facility = self._facility()
        values = self._new_values(facility)
        old_email = facility.admin_email
        for name, value in values.items():
            setattr(facility, name, value)
        services.save_facility(facility, actor=actor, comment=_("様式3の受理：施設情報を変更"))
        self.submission.facility = facility
        if facility.admin_email and facility.admin_email != old_email:
            for membership in FacilityMembership.objects.active().filter(
                facility=facility, role=MembershipRole.ADMIN
            ):
                services.end_membership(membership, actor=actor)
            admin = _new_user(facility.admin_email, self.options.get("admin_name"), self.options.get("admin_name_kana", ""))
            services.add_membership(admin, facility, MembershipRole.ADMIN, actor=actor)
            _invite_after_commit(admin, facility, actor, subject=notices.ADMIN_INVITATION)
        notices.send_after_commit(
            notices.messages_to(notices.FACILITY_CHANGED, notices.facility_admin_emails(facility), facility=facility.name)
        )


def _facility_fields(facility):
    return {
        f.name: getattr(facility, f.name)
        for f in Facility._meta.concrete_fields
        if f.name not in ("id", "created_at", "updated_at")
    }


class PatientConsent(Effect):
    """Form 5: the patient is registered and the team linked; the family joins if they wish.

    With ``submission.patient`` already set (a family member or another facility joining
    later, flow ⑧), the patient is kept and only the new links and members are added.
    """

    def _patient(self):
        return _patient_option(self.options, self.submission)

    def _facilities(self, plan):
        codes = [normalize_facility_code(c) for c in CODE_RE.findall(normalize_facility_code(self.data.get("team_facilities", "")))]
        facilities = []
        if self.submission.facility_id:
            facilities.append(self.submission.facility)
        for code in codes:
            facility = Facility.objects.filter(code=code).first()
            if facility is None:
                plan.problems.append(
                    _("事業所番号 %(code)s の施設は登録されていません。先に様式1で登録してください。") % {"code": code}
                )
            elif facility not in facilities:
                facilities.append(facility)
        for facility in facilities:
            if facility.status == FacilityStatus.DEREGISTERED:
                plan.problems.append(_("施設「%(name)s」は利用解除されています。") % {"name": facility.name})
        if not facilities:
            plan.problems.append(_("チームに参加する施設（事業所番号10桁）がありません。"))
        return facilities

    def _family(self):
        return self.data.get("family_join") == "yes"

    def plan(self):
        plan = Plan()
        patient = self._patient()
        facilities = self._facilities(plan)
        if patient is None:
            plan.changes.append(
                _("患者「%(name)s」を登録します。") % {"name": self.data.get("patient_name", "")}
            )
        elif not patient.live:
            plan.problems.append(_("この患者はすでに同意撤回の手続きが済んでいます。"))
        new = [f for f in facilities if patient is None or not TeamLink.objects.active().filter(patient=patient, facility=f).exists()]
        for facility in new:
            plan.changes.append(_("施設「%(name)s」をチームに加え、施設の管理者にお知らせします。") % {"name": facility.name})
        if self._family():
            email = (self.data.get("family_email") or "").strip().lower()
            if not email:
                plan.problems.append(_("ご家族が参加する場合は、ご家族のメールアドレスが必要です。"))
            elif _email_in_use(email):
                plan.problems.append(
                    _("ご家族のメールアドレス %(email)s はすでに別のアカウントで使われています。") % {"email": email}
                )
            plan.changes.append(
                _("患者・家族施設を用意し、ご家族（%(relation)s）を招待します（%(email)s）。")
                % {"relation": self.data.get("family_relation", ""), "email": email}
            )
        if patient is not None and (new or self._family()):
            plan.changes.append(_("これまでのチームの施設とご家族に、参加をお知らせします。"))
        return plan

    def apply(self, actor):
        patient = self._patient()
        plan = Plan()
        facilities = self._facilities(plan)
        existing_team = set()
        if patient is None:
            patient = services.create_patient(
                PatientsIndexPage.objects.get(),
                self.data.get("patient_name", ""),
                self.data.get("patient_name_kana", ""),
                actor=actor,
                birth_date=_date(self.data.get("patient_birth_date")),
                sex=self.data.get("patient_sex", ""),
                address=self.data.get("patient_address", ""),
                consent_date=_date(self.data.get("consent_date")),
            )
            self.submission.patient = patient
        else:
            existing_team = notices.team_emails(patient)
        mails = []
        joined = []
        for facility in facilities:
            if not TeamLink.objects.active().filter(patient=patient, facility=facility).exists():
                services.link_facility(patient, facility, actor=actor)
                joined.append(facility)
                mails += notices.messages_to(notices.TEAM_LINKED, notices.facility_admin_emails(facility), facility=facility.name)
        for facility in joined:
            mails += notices.messages_to(notices.FACILITY_JOINED, existing_team - notices.facility_admin_emails(facility), facility=facility.name)
        if self._family():
            last, first = _split_name(self.data.get("family_name"))
            user = services.create_user(self.data.get("family_email"), last, first)
            membership = services.add_family_member(patient, user, self.data.get("family_relation", ""), actor=actor)
            _invite_after_commit(user, membership.facility, actor)
            mails += notices.messages_to(notices.FAMILY_JOINED, existing_team)
        notices.send_after_commit(mails)


class Deregistration(Effect):
    """Form 6 (flows ④⑦): the facility leaves; every link ends; it and the remaining team hear."""

    def plan(self):
        plan = Plan()
        facility = _facility_of(self.submission)
        if facility is None:
            plan.problems.append(_("利用解除する施設が見つかりません。事業所番号を確認してください。"))
            return plan
        if facility.status == FacilityStatus.DEREGISTERED:
            plan.problems.append(_("施設「%(name)s」はすでに利用解除されています。") % {"name": facility.name})
            return plan
        patients = TeamLink.objects.active().filter(facility=facility).count()
        plan.changes += [
            _("施設「%(name)s」を利用解除します。") % {"name": facility.name},
            _("%(count)d人の患者のチームから外れ、この施設の利用者は次の操作から閲覧できなくなります。") % {"count": patients},
            _("この施設と、残るチームの皆さまにメールでお知らせします。"),
        ]
        return plan

    def apply(self, actor):
        facility = _facility_of(self.submission)
        leaving = notices.facility_admin_emails(facility) | set(
            FacilityMembership.objects.active().filter(facility=facility, user__is_active=True).values_list("user__email", flat=True)
        )
        patients = list(
            PatientPage.objects.filter(pk__in=TeamLink.objects.active().filter(facility=facility).values("patient_id"))
        )
        services.deregister_facility(facility, actor=actor)
        self.submission.facility = facility
        remaining = set()
        for patient in patients:
            remaining |= notices.team_emails(patient)
        remaining -= leaving
        notices.send_after_commit(
            notices.messages_to(notices.FACILITY_DEREGISTERED, leaving, facility=facility.name)
            + notices.messages_to(notices.FACILITY_LEFT, remaining, facility=facility.name)
        )


class ConsentWithdrawal(Effect):
    """Form 7 (flow ⑩): every link ends and the patient is purged (``erasure``); the team hears."""

    def plan(self):
        plan = Plan()
        patient = _patient_option(self.options, self.submission)
        purge = _withdraw_consent_function()
        if purge is None:
            plan.problems.append(
                _("同意撤回の削除処理（erasure.services.withdraw_consent）がまだ組み込まれていません。")
            )
        if patient is None or not patient.live:
            plan.problems.append(
                _("この患者はすでに同意撤回の手続きが済んでいるか、登録されていません。")
            )
            return plan
        plan.changes += [
            _("チームのすべての連携を終了し、患者の記事・添付ファイル・履歴・既読・通知・検索の記録をすべて削除します。"),
            _("この撤回書の記録と、個人情報を含まない削除の記録だけが残ります。"),
            _("チームの皆さまに、チームを終了したことをメールでお知らせします。"),
        ]
        return plan

    def apply(self, actor):
        patient = _patient_option(self.options, self.submission)
        team = notices.team_emails(patient)
        self.submission.patient = None
        self.submission.save()
        from erasure.services import WithdrawalError

        try:
            _withdraw_consent_function()(patient, by=actor, reference=self.submission.reference)
        except WithdrawalError as exc:
            raise EffectError(exc.message) from exc
        notices.send_after_commit(notices.messages_to(notices.CONSENT_WITHDRAWN, team))


def _withdraw_consent_function():
    try:
        from erasure.services import withdraw_consent
    except ImportError:
        return None
    return withdraw_consent


class TeamJoin(Effect):
    """Form 8 (flows ③⑤⑥): the facility joins an existing patient's team; the team hears."""

    def plan(self):
        plan = Plan()
        facility = _facility_of(self.submission)
        patient = _patient_option(self.options, self.submission)
        if facility is None:
            plan.problems.append(_("参加する施設が見つかりません。事業所番号を確認してください（新しい施設は様式1で登録します）。"))
        elif facility.status == FacilityStatus.DEREGISTERED:
            plan.problems.append(_("施設「%(name)s」は利用解除されています。") % {"name": facility.name})
        if patient is None:
            plan.problems.append(_("参加するチームの患者を選んでください。"))
        elif not patient.live:
            plan.problems.append(_("この患者はすでに同意撤回の手続きが済んでいます。"))
        if plan.problems:
            return plan
        if TeamLink.objects.active().filter(patient=patient, facility=facility).exists():
            plan.problems.append(_("施設「%(name)s」はすでにこの患者のチームに参加しています。") % {"name": facility.name})
            return plan
        plan.changes += [
            _("施設「%(name)s」を患者のチームに加えます。") % {"name": facility.name},
            _("参加する施設の管理者と、これまでのチームの施設・ご家族（%(count)d人）にメールでお知らせします。")
            % {"count": len(notices.team_emails(patient))},
        ]
        return plan

    def apply(self, actor):
        facility = _facility_of(self.submission)
        patient = _patient_option(self.options, self.submission)
        existing_team = notices.team_emails(patient)
        services.link_facility(patient, facility, actor=actor)
        self.submission.facility = facility
        self.submission.patient = patient
        notices.send_after_commit(
            notices.messages_to(notices.TEAM_LINKED, notices.facility_admin_emails(facility), facility=facility.name)
            + notices.messages_to(notices.FACILITY_JOINED, existing_team, facility=facility.name)
        )


EFFECTS = {
    "1": NewFacility,
    "3": FacilityChange,
    "5": PatientConsent,
    "6": Deregistration,
    "7": ConsentWithdrawal,
    "8": TeamJoin,
}


def for_submission(submission, options):
    return EFFECTS.get(submission.form_number, Effect)(submission, options)
