"""Creating submissions, the applicant's secret link, and the mails that go with them."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from django_tasks import task

from network.access import SECRETARIAT_GROUP

from . import definitions as d
from .models import ReferenceCounter, Submission, SubmissionsIndexPage

LINK_SALT = "forms.application-link"
# The applicant's link stays valid long enough to print, sign, seal and scan.
LINK_MAX_AGE = 90 * 24 * 60 * 60


def application_token(submission: Submission) -> str:
    return signing.dumps(submission.access_key.hex, salt=LINK_SALT, compress=False)


def submission_for_token(token: str) -> Submission | None:
    """The submission a link points to, or None for a wrong, altered or expired link."""
    try:
        key = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return Submission.objects.filter(access_key=key).first()


def application_url(submission: Submission) -> str:
    path = reverse("forms:application", args=[application_token(submission)])
    return settings.SITE_BASE_URL.rstrip("/") + path


@transaction.atomic
def create_submission(
    definition: d.FormDefinition, values: dict, *, user=None, facility=None, patient=None
) -> Submission:
    """One submission page in 受付, its first revision, and (after commit) the two mails."""
    index = SubmissionsIndexPage.objects.get()
    reference = ReferenceCounter.next_reference()
    submission = Submission(
        title=f"{definition.label} {reference}",
        slug=reference.lower(),
        form_number=definition.number,
        form_version=definition.version,
        reference=reference,
        data=values,
        contact_name=values.get("contact_name", ""),
        contact_email=values.get("contact_email", "") or (user.email if user else ""),
        facility=facility,
        patient=patient,
        submitted_by=user if user is not None and user.is_authenticated else None,
        submitted_at=timezone.now(),
        live=True,
    )
    index.add_child(instance=submission)
    submission.save_revision(user=submission.submitted_by, log_action=True)
    transaction.on_commit(lambda: mail_submission.enqueue(submission.pk))
    return submission


# --- Mail ----------------------------------------------------------------------------------

RECEIPT_SUBJECT = "受付番号 {reference}：{label}（{title}）を受け付けました"
RECEIPT_BODY = """{name}

「みまもりSNS」の{label}（{title}）をオンラインで受け付けました。

受付番号：{reference}
受付日時：{when}

次の手順でお手続きを完了してください。
1. 下のページから入力内容を印刷したPDFをダウンロードし、印刷します。
2. 署名・押印します。
3. スキャンしたPDFまたは写真（JPEG・PNG）を、同じページから提出します。

{link}

事務局が書類を確認し、結果をご連絡します。
お問い合わせの際は受付番号をお知らせください。

みまもりSNS事務局
"""
RECEIPT_PRIVATE_LINK = "提出用ページ（このリンクは他の人に知らせないでください。有効期限：90日）：\n{url}"
RECEIPT_CONSOLE_LINK = "施設の管理画面の「申請書類」から、受付番号 {reference} のページを開いてください：\n{url}"

NOTICE_SUBJECT = "新しい申請：{label} 受付番号 {reference}"
NOTICE_BODY = """事務局の皆さま

新しい申請を受け付けました。

様式：{label}（{title}）
受付番号：{reference}
受付日時：{when}
状態：署名済み書類の提出待ち

内容は事務局管理画面の「受付」で確認してください：
{admin_url}
"""


def _when(submission):
    local = timezone.localtime(submission.submitted_at)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _secretariat_emails():
    return list(
        get_user_model()
        .objects.filter(groups__name=SECRETARIAT_GROUP, is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
        .distinct()
    )


def _send(messages):
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)


@task()
def mail_submission(submission_pk):
    """Background task (after commit): the receipt and the secretariat's notice."""
    submission = Submission.objects.filter(pk=submission_pk).first()
    if submission is not None:
        send_submission_mails(submission)


@task()
def mail_signed_copy(submission_pk):
    """Background task (after commit): tell the secretariat a signed copy has arrived."""
    submission = Submission.objects.filter(pk=submission_pk).first()
    if submission is None:
        return
    definition = submission.definition
    fields = {
        "label": definition.label,
        "title": definition.title,
        "reference": submission.reference,
    }
    admin_url = settings.SITE_BASE_URL.rstrip("/") + reverse(
        "wagtailadmin_pages:edit", args=[submission.pk]
    )
    _send(
        [
            EmailMessage(
                settings.EMAIL_SUBJECT_PREFIX + SIGNED_SUBJECT.format(**fields),
                SIGNED_BODY.format(admin_url=admin_url, **fields),
                to=[email],
            )
            for email in _secretariat_emails()
        ]
    )


SIGNED_SUBJECT = "署名済み書類の提出：{label} 受付番号 {reference}"
SIGNED_BODY = """事務局の皆さま

受付番号 {reference}（{label} {title}）の署名済み書類が提出されました。

事務局管理画面の「受付」で確認してください：
{admin_url}
"""


def send_submission_mails(submission: Submission) -> None:
    """A receipt to the submitter, a notice to each active secretariat member.

    Neither names a patient nor shows any entered content: both say which form and which
    reference number, and link to where the content is (behind a secret link or a login).
    """
    definition = submission.definition
    base = settings.SITE_BASE_URL.rstrip("/")
    fields = {
        "label": definition.label,
        "title": definition.title,
        "reference": submission.reference,
        "when": _when(submission),
    }
    messages = []
    if submission.contact_email:
        if submission.submitted_by is not None and submission.facility_id:
            url = base + reverse(
                "forms:console_submission",
                args=[submission.facility_id, submission.reference],
            )
            link = RECEIPT_CONSOLE_LINK.format(reference=submission.reference, url=url)
        else:
            link = RECEIPT_PRIVATE_LINK.format(url=application_url(submission))
        name = f"{submission.contact_name} 様" if submission.contact_name else "ご担当者 様"
        messages.append(
            EmailMessage(
                settings.EMAIL_SUBJECT_PREFIX + RECEIPT_SUBJECT.format(**fields),
                RECEIPT_BODY.format(name=name, link=link, **fields),
                to=[submission.contact_email],
            )
        )
    secretariat = _secretariat_emails()
    admin_url = base + reverse("wagtailadmin_pages:edit", args=[submission.pk])
    for email in secretariat:
        messages.append(
            EmailMessage(
                settings.EMAIL_SUBJECT_PREFIX + NOTICE_SUBJECT.format(**fields),
                NOTICE_BODY.format(admin_url=admin_url, **fields),
                to=[email],
            )
        )
    _send(messages)
