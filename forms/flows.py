"""Steps of the operation flows that no form starts.

* 本登録 (flows ①②⑤⑥): a provisional facility becomes active when its invited
  administrator has set a password (through the single-use link) and enrolled the second
  factor. ``complete_registration`` runs when a TOTP device is confirmed.
* A family member leaving by phone (flow ⑨): ``remove_family_member``.
"""

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import log
from network import services
from network.models import Facility, FacilityMembership, FacilityStatus, MembershipRole

from . import notices
from .models import Submission, SubmissionStatus


def complete_registration(user):
    """Activate the provisional facilities ``user`` administers, once they can sign in safely."""
    if not user.has_usable_password():
        return []
    facilities = list(
        Facility.objects.filter(
            status=FacilityStatus.PROVISIONAL,
            memberships__in=FacilityMembership.objects.active().filter(user=user, role=MembershipRole.ADMIN),
        ).distinct()
    )
    with transaction.atomic():
        for facility in facilities:
            facility.status = FacilityStatus.ACTIVE
            services.save_facility(facility, actor=user, comment=_("本登録（管理者の登録完了）"))
            for submission in Submission.objects.filter(
                facility=facility, form_number="1", status=SubmissionStatus.ACCEPTED
            ):
                Submission.objects.filter(pk=submission.pk, status=SubmissionStatus.ACCEPTED).update(
                    status=SubmissionStatus.DONE
                )
                submission.refresh_from_db()
                submission.save_revision(user=user, log_action=True)
            log.record("facility.activate", actor=user, target=facility, facility=facility, role="admin")
            notices.send_after_commit(
                notices.messages_to(notices.REGISTRATION_COMPLETE, [user.email], facility=facility.name)
            )
    return facilities


def sign_out_everywhere(user):
    """End every session of ``user`` (database sessions: decoded and matched by user id)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def remove_family_member(patient, user, actor=None, request=None):
    """Flow ⑨: the member's family membership and links end, the account is deactivated and
    signed out. If nobody of the family is left, the family facility leaves the team, so the
    patient-family timeline disappears from lists; the team keeps every post.
    """
    facility = Facility.objects.filter(family_of=patient).first()
    membership = (
        FacilityMembership.objects.active().filter(user=user, facility=facility).first()
        if facility
        else None
    )
    if membership is None:
        raise ValueError(_("この方は患者・家族として登録されていません。"))
    with transaction.atomic():
        team_before = notices.team_emails(patient)
        services.end_membership(membership, actor=actor)
        others = FacilityMembership.objects.active().filter(facility=facility).exclude(user=user)
        last = not others.exists()
        if last:
            services.unlink_facility(patient, facility, actor=actor)
        # Deactivated unless the person still takes part elsewhere (another patient's family).
        if not FacilityMembership.objects.active().filter(user=user).exists():
            get_user_model().objects.filter(pk=user.pk).update(is_active=False)
            sign_out_everywhere(user)
        log.record(
            "family.remove", request=request, actor=actor, target=user, patient=patient,
            facility=facility, role="secretariat", last_member=last,
        )
        notices.send_after_commit(
            notices.messages_to(notices.FAMILY_LEFT, team_before - {user.email})
            + notices.messages_to(notices.FAMILY_LEFT_MEMBER, [user.email], name=f"{user.get_full_name()} 様")
        )
    return last
