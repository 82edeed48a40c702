"""The e-mails of the operation flows (SPEC §5), in Japanese, with no medical content.

No mail here names a patient or quotes a post: they say what happened to which facility
or team, and where to look (behind a sign-in). Recipients are worked out by the
functions below from the team as it is (``network.access.readers_of``) and the facility
administrators. Mails are queued after the transaction commits and sent through
django-tasks, so an effect that fails sends nothing.
"""

from string import Formatter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext as _

from django_tasks import task

from network import access
from network.models import FacilityKind, FacilityMembership, MembershipRole, TeamLink

SIGNATURE = "\n--\nみまもりSNS事務局\n"

# Subjects (the prefix "[みまもりSNS] " is added when sending).
CORRECTION = "受付番号 {reference}：提出書類の修正のお願い"
REJECTED = "受付番号 {reference}：申請を受理できませんでした"
ACCEPTED = "受付番号 {reference}：申請を受理しました"
ADMIN_INVITATION = "施設内管理者の登録（仮登録）のご案内"
REGISTRATION_COMPLETE = "本登録が完了しました"
TEAM_LINKED = "患者さんのチームに登録されました"
FACILITY_JOINED = "チームに新しい施設が参加しました"
FAMILY_JOINED = "チームにご家族が参加しました"
FACILITY_DEREGISTERED = "利用解除の手続きが完了しました"
FACILITY_LEFT = "チームの施設が利用を終了しました"
FAMILY_LEFT = "ご家族の利用を解除しました"
FAMILY_LEFT_MEMBER = "みまもりSNSの利用を解除しました"
CONSENT_WITHDRAWN = "同意撤回により患者さんのチームを終了しました"
FACILITY_CHANGED = "登録内容の変更が完了しました"

BODIES = {
    CORRECTION: (
        "{name}\n\n受付番号 {reference}（{label}）について、次の点の修正をお願いします。\n\n"
        "{note}\n\n修正した書類を、受付のご案内メールにあるページから提出してください。\n"
    ),
    REJECTED: (
        "{name}\n\n受付番号 {reference}（{label}）は、次の理由により受理できませんでした。\n\n"
        "{note}\n\nご不明な点は事務局までお問い合わせください。\n"
    ),
    ACCEPTED: "{name}\n\n受付番号 {reference}（{label}）を受理し、登録を反映しました。\n",
    REGISTRATION_COMPLETE: (
        "{facility} の施設内管理者様\n\nパスワードと2段階認証の登録が済み、本登録が完了しました。\n"
        "施設の管理画面から、施設の利用者を登録してください。\n"
    ),
    TEAM_LINKED: (
        "{facility} 御中\n\n貴施設が患者さんのチームに登録されました。\n"
        "施設の管理画面で患者さんを確認し、担当する利用者をチームに追加してください。\n"
    ),
    FACILITY_JOINED: (
        "チームの皆さま\n\n担当している患者さんのチームに、新しい施設（{facility}）が参加しました。\n"
        "詳しくはみまもりSNSにログインしてご確認ください。\n"
    ),
    FAMILY_JOINED: (
        "チームの皆さま\n\n担当している患者さんのチームに、ご家族が参加しました。\n"
        "詳しくはみまもりSNSにログインしてご確認ください。\n"
    ),
    FACILITY_DEREGISTERED: (
        "{facility} 御中\n\n利用解除の手続きが完了しました。\n"
        "貴施設の利用者は、これまでの記事を含め、みまもりSNSを利用できなくなりました。\n"
        "長い間ご利用いただき、ありがとうございました。\n"
    ),
    FACILITY_LEFT: (
        "チームの皆さま\n\n担当している患者さんのチームから、施設（{facility}）が利用を終了しました。\n"
        "この施設が書いた記事は「（利用解除済み）」と表示されて残ります。\n"
    ),
    FAMILY_LEFT: (
        "チームの皆さま\n\n担当している患者さんのチームで、ご家族1名の利用を解除しました。\n"
        "詳しくはみまもりSNSにログインしてご確認ください。\n"
    ),
    FAMILY_LEFT_MEMBER: (
        "{name}\n\nお申し出により、みまもりSNSの利用を解除しました。\n"
        "今後はログインできません。ご利用ありがとうございました。\n"
    ),
    CONSENT_WITHDRAWN: (
        "チームの皆さま\n\n担当していた患者さんから同意の撤回があり、チームを終了しました。\n"
        "この患者さんの記事・添付ファイルなどはすべて削除されました。\n"
    ),
    FACILITY_CHANGED: (
        "{facility} 御中\n\n変更申請の内容を登録しました。\n"
        "施設の管理画面で登録内容をご確認ください。\n"
    ),
}


# The secretariat may reword each mail (``forms.models.MailTemplate``, a snippet).
KEYS = {
    "correction": CORRECTION,
    "rejected": REJECTED,
    "accepted": ACCEPTED,
    "registration_complete": REGISTRATION_COMPLETE,
    "team_linked": TEAM_LINKED,
    "facility_joined": FACILITY_JOINED,
    "family_joined": FAMILY_JOINED,
    "facility_deregistered": FACILITY_DEREGISTERED,
    "facility_left": FACILITY_LEFT,
    "family_left": FAMILY_LEFT,
    "family_left_member": FAMILY_LEFT_MEMBER,
    "consent_withdrawn": CONSENT_WITHDRAWN,
    "facility_changed": FACILITY_CHANGED,
}
KEY_OF = {subject: key for key, subject in KEYS.items()}
TEMPLATE_LABELS = {key: subject.replace("受付番号 {reference}：", "") for key, subject in KEYS.items()}


def placeholders(key):
    """The names a mail's wording may use: those of its default wording."""
    subject = KEYS[key]
    return {name for _text, name, _spec, _conv in Formatter().parse(subject + BODIES.get(subject, "")) if name}


def placeholder_errors(key, text):
    allowed = placeholders(key)
    try:
        used = [name for _text, name, _spec, _conv in Formatter().parse(text or "") if name is not None]
    except ValueError:
        return _("波かっこ { } の対応が正しくありません。")
    unknown = sorted({name for name in used if name not in allowed})
    if unknown or "" in used:
        return _("使える差し込み項目は %(allowed)s です（使えないもの：%(unknown)s）。") % {
            "allowed": "、".join("{" + n + "}" for n in sorted(allowed)) or "—",
            "unknown": "、".join("{" + n + "}" for n in unknown) or "{}",
        }
    return None


def _wording(subject):
    """(subject, body) to use: the secretariat's if it has one for this mail, else the default."""
    from .models import MailTemplate

    key = KEY_OF.get(subject)
    custom = MailTemplate.objects.filter(key=key).first() if key else None
    if custom is not None and not placeholder_errors(key, custom.subject + custom.body):
        return custom.subject, custom.body
    return subject, BODIES.get(subject, "")


def message(subject, to, **fields):
    """One mail: a subject constant from this module, its body, one recipient."""
    subject_text, body_text = _wording(subject)
    body = body_text.format(**fields) + SIGNATURE
    return [settings.EMAIL_SUBJECT_PREFIX + subject_text.format(**fields), body, [to]]


def messages_to(subject, recipients, **fields):
    return [message(subject, email, **fields) for email in sorted(set(recipients)) if email]


@task()
def deliver(messages):
    """Send prepared mails ([subject, body, [to]] each) in one connection."""
    with get_connection() as connection:
        connection.send_messages(
            [EmailMessage(subject, body, to=to) for subject, body, to in messages]
        )


def send_after_commit(messages):
    """Queue ``messages`` to go out once the current transaction commits (never before)."""
    if messages:
        payload = list(messages)
        transaction.on_commit(lambda: deliver.enqueue(payload))


# --- Recipients ------------------------------------------------------------------------------


def facility_admin_emails(facility):
    """The facility's active administrators, or its registered admin e-mail."""
    emails = set(
        FacilityMembership.objects.active()
        .filter(facility=facility, role=MembershipRole.ADMIN, user__is_active=True)
        .values_list("user__email", flat=True)
    )
    if not emails and facility.admin_email:
        emails.add(facility.admin_email)
    return emails


def team_emails(patient, exclude_facility=None):
    """Everyone to tell about a change in ``patient``'s team: its readers (staff and family,
    decided by the access policy) and the administrators of the facilities in the team."""
    User = get_user_model()
    readers = access.readers_of(patient)
    if exclude_facility is not None:
        readers -= set(
            FacilityMembership.objects.active()
            .filter(facility=exclude_facility)
            .values_list("user_id", flat=True)
        )
    emails = set(User.objects.filter(pk__in=readers, is_active=True).values_list("email", flat=True))
    links = TeamLink.objects.active().filter(patient=patient).exclude(facility__kind=FacilityKind.FAMILY)
    if exclude_facility is not None:
        links = links.exclude(facility=exclude_facility)
    for link in links.select_related("facility"):
        emails |= facility_admin_emails(link.facility)
    return emails
