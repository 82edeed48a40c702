"""The secretariat's review of submissions: a small state machine and the effects of accepting.

States (``SubmissionStatus``) and the moves a clerk may make::

    awaiting_signed  -> received, under_review, needs_correction, rejected
    received         -> under_review, needs_correction, accepted, rejected
    under_review     -> needs_correction, accepted, rejected
    needs_correction -> received, under_review, rejected
    accepted         -> done
    rejected, done   -> (final)

A signed copy arriving moves ``awaiting_signed`` to ``received`` (``forms.views``).
``accepted`` is reached only through :func:`accept`, which applies the form's effects
(``forms.effects``) in the same transaction; form 1 moves on to ``done`` by itself when the
new facility's administrator completes 本登録 (password and second factor), the others when
a clerk marks them done.

Every move is a conditional UPDATE on the status the clerk saw, so of two clerks acting on
the same submission at once exactly one wins and the other gets a clear message; it is kept
as a page revision (Wagtail history), a ``ReviewComment`` and an audit entry.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import log

from . import effects, notices
from .models import ReviewComment, Submission, SubmissionStatus

S = SubmissionStatus

TRANSITIONS = {
    S.AWAITING_SIGNED: {S.RECEIVED, S.UNDER_REVIEW, S.NEEDS_CORRECTION, S.REJECTED},
    S.RECEIVED: {S.UNDER_REVIEW, S.NEEDS_CORRECTION, S.ACCEPTED, S.REJECTED},
    S.UNDER_REVIEW: {S.NEEDS_CORRECTION, S.ACCEPTED, S.REJECTED},
    S.NEEDS_CORRECTION: {S.RECEIVED, S.UNDER_REVIEW, S.REJECTED},
    S.ACCEPTED: {S.DONE},
    S.REJECTED: set(),
    S.DONE: set(),
}
# Moves a clerk makes with a button; accepting goes through ``accept`` (preview, effects).
MANUAL_TARGETS = [S.RECEIVED, S.UNDER_REVIEW, S.DONE]


class ReviewError(Exception):
    """A move that cannot be made; ``messages`` say why, in Japanese."""

    def __init__(self, *messages):
        super().__init__(" ".join(str(m) for m in messages))
        self.messages = [str(m) for m in messages]


def allowed_targets(status):
    return TRANSITIONS.get(status, set())


def _conflict(submission_pk):
    current = Submission.objects.filter(pk=submission_pk).values_list("status", flat=True).first()
    label = S(current).label if current else _("削除済み")
    return ReviewError(
        _("この申請は他の担当者がすでに処理しました（現在の状態：%(status)s）。画面を更新して確認してください。")
        % {"status": label}
    )


def _move(submission, to, actor, *, kind, note="", request=None, extra=None):
    """Conditionally move ``submission`` from the status the caller saw to ``to``."""
    seen = submission.status
    if to not in allowed_targets(seen):
        raise ReviewError(
            _("「%(from)s」から「%(to)s」には変更できません。") % {"from": S(seen).label, "to": S(to).label}
        )
    updated = Submission.objects.filter(pk=submission.pk, status=seen).update(
        status=to, **(extra or {})
    )
    if not updated:
        raise _conflict(submission.pk)
    fresh = Submission.objects.get(pk=submission.pk)
    fresh.save_revision(user=actor, log_action=True)
    ReviewComment.objects.create(
        submission=fresh,
        author=actor,
        kind=kind,
        text=note or _("状態を「%(from)s」から「%(to)s」に変更") % {"from": S(seen).label, "to": S(to).label},
    )
    log.record(
        "submission.status",
        request=request,
        actor=actor,
        target=fresh,
        facility=fresh.facility,
        role="secretariat",
        reference=fresh.reference,
        form=fresh.form_number,
        previous=str(seen),
        status=str(to),
    )
    return fresh


def transition(submission, to, actor, *, note="", request=None):
    """A plain move (received, under review, done); the others have their own functions."""
    if to not in MANUAL_TARGETS:
        raise ReviewError(_("この操作では状態を「%(to)s」にできません。") % {"to": S(to).label if to in S.values else to})
    with transaction.atomic():
        return _move(submission, to, actor, kind=ReviewComment.Kind.TRANSITION, note=note, request=request)


def assign(submission, clerk, actor, request=None):
    """Put ``clerk`` (a secretariat member, or nobody) in charge."""
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(assigned_to=clerk)
        fresh = Submission.objects.get(pk=submission.pk)
        fresh.save_revision(user=actor, log_action=True)
        text = (
            _("担当者を %(name)s に設定") % {"name": clerk.get_full_name()}
            if clerk
            else _("担当者の割り当てを解除")
        )
        ReviewComment.objects.create(
            submission=fresh, author=actor, kind=ReviewComment.Kind.TRANSITION, text=text
        )
        log.record(
            "submission.assign",
            request=request,
            actor=actor,
            target=fresh,
            role="secretariat",
            reference=fresh.reference,
            assigned_to=getattr(clerk, "pk", None),
        )
    return fresh


def comment(submission, text, actor, request=None):
    text = (text or "").strip()
    if not text:
        raise ReviewError(_("コメントを入力してください。"))
    entry = ReviewComment.objects.create(
        submission=submission, author=actor, kind=ReviewComment.Kind.COMMENT, text=text
    )
    log.record(
        "submission.comment", request=request, actor=actor, target=submission,
        role="secretariat", reference=submission.reference,
    )
    return entry


def _submitter_fields(submission):
    return {
        "name": f"{submission.contact_name} 様" if submission.contact_name else "ご担当者 様",
        "reference": submission.reference,
        "label": submission.definition.label,
    }


def _answer_submitter(submission, status, kind, mail, note, missing_note, actor, request):
    """Move to ``status`` with the clerk's ``note`` and mail the note to the submitter."""
    note = (note or "").strip()
    if not note:
        raise ReviewError(missing_note)
    with transaction.atomic():
        fresh = _move(submission, status, actor, kind=kind, note=note, request=request)
        if fresh.contact_email:
            notices.send_after_commit(
                [notices.message(mail, fresh.contact_email, note=note, **_submitter_fields(fresh))]
            )
    return fresh


def request_correction(submission, note, actor, request=None):
    """Ask the submitter to correct the form: status "needs correction" and a mail with ``note``."""
    return _answer_submitter(
        submission, S.NEEDS_CORRECTION, ReviewComment.Kind.CORRECTION, notices.CORRECTION,
        note, _("修正してほしい点を入力してください。"), actor, request,
    )


def reject(submission, note, actor, request=None):
    """Refuse the form: status "rejected" and a mail with the reason (``note``)."""
    return _answer_submitter(
        submission, S.REJECTED, ReviewComment.Kind.REJECTION, notices.REJECTED,
        note, _("受理できない理由を入力してください。"), actor, request,
    )


def preview(submission, options=None):
    """What accepting would change (a ``effects.Plan``), without changing anything."""
    return effects.for_submission(submission, options or {}).plan()


def accept(submission, actor, options=None, request=None):
    """Accept ``submission`` and apply its effects, all in one transaction.

    Refused (nothing stored) when the effects have problems (an existing facility code, an
    e-mail already in use, a patient already withdrawn ...) or when another clerk got there
    first. The effects are applied once: ``effects_applied_at`` is set in the same
    conditional update that moves the status, so a second accept changes nothing.
    """
    if submission.effects_applied_at is not None:
        if submission.status not in (S.ACCEPTED, S.DONE):
            raise _conflict(submission.pk)  # accepted by someone else since the clerk looked
        raise ReviewError(_("この申請はすでに受理され、登録に反映されています。"))
    with transaction.atomic():
        # Lock the row where the database can (PostgreSQL); the conditional update decides.
        current = (
            Submission.objects.select_for_update()
            .filter(pk=submission.pk)
            .values_list("status", "effects_applied_at")
            .first()
        )
        if current != (submission.status, None):
            raise _conflict(submission.pk)
        effect = effects.for_submission(submission, options or {})
        plan = effect.plan()
        if plan.problems:
            raise ReviewError(*plan.problems)
        seen = submission.status
        if S.ACCEPTED not in allowed_targets(seen):
            raise ReviewError(
                _("「%(from)s」の申請は受理できません。") % {"from": S(seen).label}
            )
        updated = Submission.objects.filter(
            pk=submission.pk, status=seen, effects_applied_at__isnull=True
        ).update(status=S.ACCEPTED, effects_applied_at=timezone.now())
        if not updated:
            raise _conflict(submission.pk)
        fresh = Submission.objects.get(pk=submission.pk)
        effect.submission = fresh
        try:
            effect.apply(actor)
        except effects.EffectError as exc:
            raise ReviewError(str(exc)) from exc
        fresh.save()
        fresh.save_revision(user=actor, log_action=True)
        ReviewComment.objects.create(
            submission=fresh,
            author=actor,
            kind=ReviewComment.Kind.TRANSITION,
            text=_("受理し、次の変更を反映：") + "\n" + "\n".join(plan.changes),
        )
        log.record(
            "submission.accept",
            request=request,
            actor=actor,
            target=fresh,
            facility=fresh.facility,
            role="secretariat",
            reference=fresh.reference,
            form=fresh.form_number,
            changes=len(plan.changes),
        )
        if fresh.contact_email:
            notices.send_after_commit(
                [notices.message(notices.ACCEPTED, fresh.contact_email, **_submitter_fields(fresh))]
            )
    return fresh
