"""The one access policy: who may see or touch which patient, facility and team.

Every view, API endpoint, search, export, file download and e-mail asks this
module, and nothing else decides. The rules (SPEC §2):

* A staff member or family member sees a patient only while
  - their membership in a facility is active and not as administrator,
  - that facility is usable (not deregistered),
  - that facility is linked to the patient (an active ``TeamLink``), and
  - they are linked to the patient through that facility (an active ``MemberLink``).
  Family facilities can only be linked to their own patient, so family see only
  their own patient.
* A facility administrator manages their own usable facility's members and the
  member links of patients linked to that facility. Administering grants no
  reading of timelines.
* The secretariat manages facilities, patients and team links, and never reads
  a timeline. Superusers read no timeline either.

Nothing is cached between requests: an ended link or a deregistered facility
loses access on the very next request, in sessions already open too.
"""

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import (
    USABLE_FACILITY_STATUSES,
    Facility,
    FacilityMembership,
    MemberLink,
    MembershipRole,
    PatientPage,
    TeamLink,
    active_q,
)

SECRETARIAT_GROUP = "事務局"
_SECRETARIAT_CACHE = "_mimamori_is_secretariat"

# Roles whose members take part in timelines (administrators do not).
TEAM_ROLES = [MembershipRole.STAFF, MembershipRole.FAMILY]


def _is_person(user):
    return bool(user is not None and user.is_authenticated and user.is_active)


# --- Secretariat ---------------------------------------------------------------


def is_secretariat(user):
    """Whether ``user`` acts as the secretariat (member of the 事務局 group)."""
    if not _is_person(user):
        return False
    cached = getattr(user, _SECRETARIAT_CACHE, None)
    if cached is None:
        cached = user.groups.filter(name=SECRETARIAT_GROUP).exists()
        setattr(user, _SECRETARIAT_CACHE, cached)
    return cached


# --- Reading and posting on a patient's timeline -----------------------------


def _effective_member_links(user, now):
    """Active member links whose facility, membership and team link are all in force."""
    memberships = FacilityMembership.objects.filter(
        active_q(now),
        user=OuterRef("user"),
        facility=OuterRef("facility"),
        role__in=TEAM_ROLES,
    )
    team_links = TeamLink.objects.filter(
        active_q(now), patient=OuterRef("patient"), facility=OuterRef("facility")
    )
    return MemberLink.objects.filter(
        active_q(now),
        Exists(memberships),
        Exists(team_links),
        user=user,
        facility__status__in=USABLE_FACILITY_STATUSES,
    )


def visible_patients(user):
    """Patients whose timeline ``user`` may read (one SQL query)."""
    if not _is_person(user):
        return PatientPage.objects.none()
    links = _effective_member_links(user, timezone.now())
    return PatientPage.objects.live().filter(pk__in=links.values("patient_id"))


def can_view_patient(user, patient):
    """Whether ``user`` may read ``patient``'s timeline."""
    if not _is_person(user) or patient is None or not patient.live:
        return False
    return _effective_member_links(user, timezone.now()).filter(patient_id=patient.pk).exists()


def can_post(user, patient):
    """Whether ``user`` may post on ``patient``'s timeline: every reader of the team may."""
    return can_view_patient(user, patient)


def facilities_acting_for(user, patient):
    """The facilities through which ``user`` takes part in ``patient``'s team (for authorship)."""
    if not _is_person(user):
        return Facility.objects.none()
    links = _effective_member_links(user, timezone.now()).filter(patient_id=patient.pk)
    return Facility.objects.filter(pk__in=links.values("facility_id"))


def get_visible_patient_or_404(user, **lookup):
    """The patient matching ``lookup`` if ``user`` may read it; 404 otherwise, whatever the reason."""
    return get_object_or_404(visible_patients(user), **lookup)


# --- Managing facilities and teams -------------------------------------------


def managed_facilities(user):
    """Facilities whose members ``user`` manages: all for the secretariat, own for an admin."""
    if not _is_person(user):
        return Facility.objects.none()
    if is_secretariat(user):
        return Facility.objects.all()
    admin_of = FacilityMembership.objects.active().filter(user=user, role=MembershipRole.ADMIN)
    return Facility.objects.filter(
        pk__in=admin_of.values("facility_id"), status__in=USABLE_FACILITY_STATUSES
    )


def administered_facilities(user):
    """Facilities where ``user`` is the (active) administrator; the secretariat is not included."""
    if not _is_person(user):
        return Facility.objects.none()
    admin_of = FacilityMembership.objects.active().filter(user=user, role=MembershipRole.ADMIN)
    return Facility.objects.filter(
        pk__in=admin_of.values("facility_id"), status__in=USABLE_FACILITY_STATUSES
    )


def is_facility_admin(user):
    return administered_facilities(user).exists()


def can_manage_facility(user, facility):
    if facility is None:
        return False
    return managed_facilities(user).filter(pk=facility.pk).exists()


def get_managed_facility_or_404(user, **lookup):
    return get_object_or_404(managed_facilities(user), **lookup)


def manageable_patients(user, facility=None):
    """Patients whose team ``user`` may manage.

    The secretariat: every patient. A facility admin: the patients their facility
    is linked to now (optionally only through ``facility``).
    """
    if not _is_person(user):
        return PatientPage.objects.none()
    if is_secretariat(user):
        if facility is None:
            return PatientPage.objects.all()
        facilities = Facility.objects.filter(pk=facility.pk)
    else:
        facilities = administered_facilities(user)
        if facility is not None:
            facilities = facilities.filter(pk=facility.pk)
    links = TeamLink.objects.active().filter(facility__in=facilities)
    return PatientPage.objects.live().filter(pk__in=links.values("patient_id"))


def can_manage_team(user, patient, facility=None):
    """Whether ``user`` may change ``patient``'s team (facility links for the secretariat,
    member links of their own facility for an admin)."""
    if patient is None:
        return False
    return manageable_patients(user, facility).filter(pk=patient.pk).exists()


def can_manage_team_links(user):
    """Only the secretariat links facilities to patients and unlinks them."""
    return is_secretariat(user)


def can_link_member(user, patient, member, facility):
    """Whether ``user`` may link ``member`` to ``patient`` as a member of ``facility``."""
    if not can_manage_team(user, patient, facility):
        return False
    if not is_secretariat(user) and not can_manage_facility(user, facility):
        return False
    return FacilityMembership.objects.active().filter(
        user=member, facility=facility, role__in=TEAM_ROLES
    ).exists()
