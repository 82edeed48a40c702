"""Changes to facilities, memberships and teams, each in one transaction and one revision.

Views, the seed command and (later) the secretariat's form flows call these
functions instead of saving models directly, so validation, history and the
side effects (ending dependent links) happen the same way everywhere. Permission
checks stay in the callers, through ``network.access``.
"""

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import reversion

from .models import (
    Facility,
    FacilityKind,
    FacilityMembership,
    FacilityStatus,
    MemberLink,
    MembershipRole,
    PatientPage,
    TeamLink,
)


@contextmanager
def _revision(actor, comment):
    """One transaction and one django-reversion revision, with user and comment.

    Nested calls join the outer revision, so a compound change is one entry in history.
    """
    with transaction.atomic(), reversion.create_revision(atomic=False):
        if actor is not None and getattr(actor, "pk", None):
            reversion.set_user(actor)
        reversion.set_comment(comment)
        yield


def save_facility(facility, actor=None, comment=None):
    """Validate and save a facility (created or changed)."""
    with _revision(actor, comment or _("施設情報を保存")):
        facility.full_clean()
        facility.save()
        reversion.add_to_revision(facility)
    return facility


def create_user(email, last_name, first_name, last_name_kana="", first_name_kana="", password=None):
    """A new account; without a password it can only be entered through an invitation link."""
    User = get_user_model()
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("このメールアドレスはすでに登録されています。")})
    return User.objects.create_user(
        email=email,
        password=password,
        last_name=last_name,
        first_name=first_name,
        last_name_kana=last_name_kana,
        first_name_kana=first_name_kana,
    )


def add_membership(user, facility, role, job_title="", relation="", actor=None):
    """Make ``user`` a member of ``facility`` in ``role`` (rules in ``network.rules``)."""
    with _revision(actor, _("所属を追加")):
        membership = FacilityMembership(
            user=user, facility=facility, role=role, job_title=job_title, relation=relation
        )
        membership.full_clean()
        membership.save()
        reversion.add_to_revision(membership)
    return membership


def end_membership(membership, actor=None):
    """End a membership and every member link the person had through that facility."""
    now = timezone.now()
    with _revision(actor, _("所属を終了")):
        membership.until = now
        membership.save(update_fields=["until"])
        reversion.add_to_revision(membership)
        for link in MemberLink.objects.active(now).filter(
            user_id=membership.user_id, facility_id=membership.facility_id
        ):
            link.until = now
            link.save(update_fields=["until"])
            reversion.add_to_revision(link)
    return membership


def link_facility(patient, facility, actor=None):
    """Add ``facility`` to ``patient``'s team (idempotent: an open link is returned as is)."""
    with _revision(actor, _("チームに施設を追加")):
        existing = TeamLink.objects.active().filter(patient=patient, facility=facility).first()
        if existing:
            return existing
        link = TeamLink(patient=patient, facility=facility, created_by=_user_or_none(actor))
        link.full_clean()
        link.save()
        reversion.add_to_revision(link)
    return link


def unlink_facility(patient, facility, actor=None):
    """Remove ``facility`` from ``patient``'s team, with its members' links."""
    now = timezone.now()
    with _revision(actor, _("チームから施設を外す")):
        for link in TeamLink.objects.active(now).filter(patient=patient, facility=facility):
            link.until = now
            link.save(update_fields=["until"])
            reversion.add_to_revision(link)
        for link in MemberLink.objects.active(now).filter(patient=patient, facility=facility):
            link.until = now
            link.save(update_fields=["until"])
            reversion.add_to_revision(link)


def link_member(patient, user, facility, actor=None):
    """Add ``user`` (a member of ``facility``) to ``patient``'s team (idempotent)."""
    with _revision(actor, _("チームに利用者を追加")):
        existing = (
            MemberLink.objects.active()
            .filter(patient=patient, user=user, facility=facility)
            .first()
        )
        if existing:
            return existing
        link = MemberLink(
            patient=patient, user=user, facility=facility, created_by=_user_or_none(actor)
        )
        link.full_clean()
        link.save()
        reversion.add_to_revision(link)
    return link


def unlink_member(patient, user, facility, actor=None):
    now = timezone.now()
    with _revision(actor, _("チームから利用者を外す")):
        for link in MemberLink.objects.active(now).filter(
            patient=patient, user=user, facility=facility
        ):
            link.until = now
            link.save(update_fields=["until"])
            reversion.add_to_revision(link)


def ensure_family_facility(patient, actor=None):
    """The patient-family facility of ``patient``, created and linked if missing."""
    with _revision(actor, _("患者・家族施設を用意")):
        facility = Facility.objects.filter(family_of=patient).first()
        if facility is None:
            facility = Facility(
                kind=FacilityKind.FAMILY,
                name=_("%(name)s さんの患者・家族") % {"name": patient.title},
                family_of=patient,
                status=FacilityStatus.ACTIVE,
            )
            facility.full_clean()
            facility.save()
            reversion.add_to_revision(facility)
        link_facility(patient, facility, actor=actor)
    return facility


def add_family_member(patient, user, relation, actor=None):
    """Add the patient or a family member to the patient's family facility and team."""
    with transaction.atomic():
        facility = ensure_family_facility(patient, actor=actor)
        membership = (
            FacilityMembership.objects.active().filter(user=user, facility=facility).first()
        )
        if membership is None:
            membership = add_membership(
                user, facility, MembershipRole.FAMILY, relation=relation, actor=actor
            )
        link_member(patient, user, facility, actor=actor)
    return membership


def deregister_facility(facility, actor=None):
    """Form 6: the facility leaves the network; every team link ends at once."""
    now = timezone.now()
    with _revision(actor, _("施設の利用解除")):
        facility.status = FacilityStatus.DEREGISTERED
        facility.deregistered_at = now
        facility.save(update_fields=["status", "deregistered_at", "updated_at"])
        reversion.add_to_revision(facility)
        for link in TeamLink.objects.active(now).filter(facility=facility):
            unlink_facility(link.patient, facility, actor=actor)
    return facility


def create_patient(parent, name, name_kana, actor=None, **fields):
    """Register a patient page under the patients index and publish it."""
    with transaction.atomic():
        patient = PatientPage(title=name, name_kana=name_kana, **fields)
        parent.add_child(instance=patient)
        revision = patient.save_revision(user=_user_or_none(actor), log_action=True)
        revision.publish(user=_user_or_none(actor))
        patient.refresh_from_db()
    return patient


def _user_or_none(actor):
    return actor if actor is not None and getattr(actor, "pk", None) else None
