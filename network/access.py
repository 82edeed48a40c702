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

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import (
    USABLE_FACILITY_STATUSES,
    Facility,
    FacilityKind,
    FacilityMembership,
    MemberLink,
    MembershipRole,
    PatientPage,
    TeamLink,
)

SECRETARIAT_GROUP = "事務局"
_SECRETARIAT_CACHE = "_mimamori_is_secretariat"
_FACILITY_ADMIN_CACHE = "_mimamori_is_facility_admin"

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


def _effective_links_sql(select, by="user"):
    """SQL selecting ``select`` from the member links of one user that are in force now.

    The reading rule in one statement: an active member link, an active non-admin
    membership in the link's facility, an active team link of that facility to the
    patient, and a usable facility. Plain joins over indexed columns; a fixed string
    with parameters, so a yes/no check costs one index lookup and no query building.
    Parameters: see ``_effective_links_params``.
    """
    assert by in ("user", "patient")
    ml, fm, tl, f, ug, g, u = (
        MemberLink._meta.db_table,
        FacilityMembership._meta.db_table,
        TeamLink._meta.db_table,
        Facility._meta.db_table,
        get_user_model().groups.through._meta.db_table,
        Group._meta.db_table,
        get_user_model()._meta.db_table,
    )
    statuses = ", ".join(["%s"] * len(USABLE_FACILITY_STATUSES))
    roles = ", ".join(["%s"] * len(TEAM_ROLES))

    def active(alias):
        return f"{alias}.since <= %s AND ({alias}.until IS NULL OR {alias}.until > %s)"

    # Table names come from model metadata and every value is a parameter.
    return (
        f"SELECT {select} FROM {ml} ml "  # noqa: S608
        f"JOIN {fm} fm ON fm.user_id = ml.user_id AND fm.facility_id = ml.facility_id "
        f"JOIN {tl} tl ON tl.patient_id = ml.patient_id AND tl.facility_id = ml.facility_id "
        f"JOIN {f} f ON f.id = ml.facility_id "
        # Deactivated people read nothing; system administrators are not team members.
        f"JOIN {u} u ON u.id = ml.user_id AND u.is_active = %s AND u.is_superuser = %s "
        f"WHERE ml.{by}_id = %s AND {active('ml')} AND {active('fm')} AND {active('tl')} "
        f"AND fm.role IN ({roles}) AND f.status IN ({statuses}) "
        # The secretariat never reads a timeline, even if someone also linked it as staff.
        f"AND NOT EXISTS (SELECT 1 FROM {ug} ug JOIN {g} g ON g.id = ug.group_id "
        f"WHERE ug.user_id = ml.user_id AND g.name = %s)"
    )


def _effective_links_params(key, now):
    now = connection.ops.adapt_datetimefield_value(now)
    return [
        True,
        False,
        key,
        *([now] * 6),
        *(str(role) for role in TEAM_ROLES),
        *(str(status) for status in USABLE_FACILITY_STATUSES),
        SECRETARIAT_GROUP,
    ]


def visible_patients(user):
    """Patients whose timeline ``user`` may read (a queryset; one SQL query)."""
    if not _is_person(user):
        return PatientPage.objects.none()
    links = RawSQL(  # noqa: S611 (fixed SQL, parameters only)
        _effective_links_sql("ml.patient_id"), _effective_links_params(user.pk, timezone.now())
    )
    return PatientPage.objects.live().filter(pk__in=links)


def can_view_patient(user, patient):
    """Whether ``user`` may read ``patient``'s timeline (one indexed lookup)."""
    if not _is_person(user) or patient is None or not patient.live:
        return False
    sql = _effective_links_sql("1") + " AND ml.patient_id = %s"
    params = [*_effective_links_params(user.pk, timezone.now()), patient.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT 1", params)
        return cursor.fetchone() is not None


def can_post(user, patient):
    """Whether ``user`` may post on ``patient``'s timeline: every reader of the team may."""
    return can_view_patient(user, patient)


def facilities_acting_for(user, patient):
    """The facilities through which ``user`` takes part in ``patient``'s team (for authorship)."""
    if not _is_person(user) or patient is None:
        return Facility.objects.none()
    sql = _effective_links_sql("ml.facility_id") + " AND ml.patient_id = %s"
    params = [*_effective_links_params(user.pk, timezone.now()), patient.pk]
    return Facility.objects.filter(pk__in=RawSQL(sql, params))  # noqa: S611 (fixed SQL)


def readers_of(patient):
    """Ids of the users who may read ``patient``'s timeline now (for "既読 3/5")."""
    if patient is None or not patient.live:
        return set()
    sql = _effective_links_sql("DISTINCT ml.user_id", by="patient")
    with connection.cursor() as cursor:
        cursor.execute(sql, _effective_links_params(patient.pk, timezone.now()))
        return {row[0] for row in cursor.fetchall()}


@dataclass(frozen=True)
class TeamMember:
    """One person who may read a patient's timeline, and the facility they act for."""

    pk: int
    facility_id: int
    last_name: str
    first_name: str
    last_name_kana: str
    first_name_kana: str
    job_title: str
    relation: str

    def get_full_name(self):
        return f"{self.last_name} {self.first_name}".strip()


def team_of(patient):
    """The people who may read ``patient``'s timeline now, one per facility they act for.

    The same rule and the same single statement as ``readers_of``, with the names and
    job titles the timeline shows (the team list, @-mentions), sorted by kana.
    """
    if patient is None or not patient.live:
        return []
    sql = _effective_links_sql(
        "ml.user_id, ml.facility_id, u.last_name, u.first_name, u.last_name_kana, "
        "u.first_name_kana, fm.job_title, fm.relation",
        by="patient",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, _effective_links_params(patient.pk, timezone.now()))
        rows = cursor.fetchall()
    members = {(row[0], row[1]): TeamMember(*row) for row in rows}
    return sorted(members.values(), key=lambda m: (m.last_name_kana, m.first_name_kana, m.pk))


def acts_as_family(user, patient):
    """Whether ``user`` takes part in ``patient``'s team as the patient or family."""
    return facilities_acting_for(user, patient).filter(kind=FacilityKind.FAMILY).exists()


def can_request_change(user, post):
    """The patient and family may ask an author to edit or delete a post on their own timeline."""
    return (
        post.deleted_at is None
        and post.author_id != getattr(user, "pk", None)
        and acts_as_family(user, post.patient)
    )


def get_visible_patient_or_404(user, **lookup):
    """The patient matching ``lookup`` if ``user`` may read it; 404 otherwise, whatever the reason."""
    return get_object_or_404(visible_patients(user), **lookup)


# --- Managing facilities and teams -------------------------------------------


def managed_facilities(user):
    """Facilities whose members ``user`` manages: all for the secretariat, own for an admin."""
    if not _is_person(user):
        return Facility.objects.none()
    if is_secretariat(user):
        # A deregistered facility has no one left to manage.
        return Facility.objects.filter(status__in=USABLE_FACILITY_STATUSES)
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
    """Kept on the user object for the rest of the request (header, second factor)."""
    if not _is_person(user):
        return False
    if not hasattr(user, _FACILITY_ADMIN_CACHE):
        setattr(user, _FACILITY_ADMIN_CACHE, administered_facilities(user).exists())
    return getattr(user, _FACILITY_ADMIN_CACHE)


def load_roles(user, also=()):
    """Answer ``is_secretariat`` and ``is_facility_admin`` in one statement, with ``also``.

    ``also`` is a list of ``(name, sql, params)`` yes/no subqueries the caller needs at
    the same moment (e.g. "has a confirmed device"); their answers are returned as a
    dict. The role answers are kept on the user object for the rest of the request,
    exactly as the two functions keep them, and follow the same rules (a fixed
    statement over indexed columns: every request of an unverified user asks it).
    """
    if not _is_person(user):
        return {name: False for name, _sql, _params in also}
    g, ug, fm, f = (
        Group._meta.db_table,
        get_user_model().groups.through._meta.db_table,
        FacilityMembership._meta.db_table,
        Facility._meta.db_table,
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    statuses = ", ".join(["%s"] * len(USABLE_FACILITY_STATUSES))
    questions = [
        # Table names come from model metadata and every value is a parameter.
        (
            _SECRETARIAT_CACHE,
            f"SELECT 1 FROM {ug} ug JOIN {g} g ON g.id = ug.group_id "  # noqa: S608
            "WHERE ug.user_id = %s AND g.name = %s",
            [user.pk, SECRETARIAT_GROUP],
        ),
        (
            _FACILITY_ADMIN_CACHE,
            f"SELECT 1 FROM {fm} fm JOIN {f} f ON f.id = fm.facility_id "  # noqa: S608
            "WHERE fm.user_id = %s AND fm.role = %s AND fm.since <= %s "
            f"AND (fm.until IS NULL OR fm.until > %s) AND f.status IN ({statuses})",
            [user.pk, str(MembershipRole.ADMIN), now, now, *map(str, USABLE_FACILITY_STATUSES)],
        ),
        *also,
    ]
    sql = "SELECT " + ", ".join(f"EXISTS ({q})" for _name, q, _params in questions)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for _name, _q, params in questions for value in params])
        row = cursor.fetchone()
    answers = {name: bool(value) for (name, _q, _p), value in zip(questions, row, strict=True)}
    setattr(user, _SECRETARIAT_CACHE, answers.pop(_SECRETARIAT_CACHE))
    setattr(user, _FACILITY_ADMIN_CACHE, answers.pop(_FACILITY_ADMIN_CACHE))
    return answers


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
        facilities = Facility.objects.filter(pk=facility.pk, status__in=USABLE_FACILITY_STATUSES)
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


def can_link_member(user, patient, member, facility):
    """Whether ``user`` may link ``member`` to ``patient`` as a member of ``facility``."""
    if not can_manage_team(user, patient, facility):
        return False
    if not is_secretariat(user) and not can_manage_facility(user, facility):
        return False
    return FacilityMembership.objects.active().filter(
        user=member, facility=facility, role__in=TEAM_ROLES
    ).exists()


# --- The audit log -------------------------------------------------------------


def audit_scope(user):
    """Which audit entries ``user`` may look through (metadata only, never medical content).

    ``"all"`` for the secretariat; a list of facility ids for a facility administrator
    (entries made by people acting for those facilities); ``None`` for everyone else.
    """
    if not _is_person(user):
        return None
    if is_secretariat(user):
        return "all"
    facility_ids = list(administered_facilities(user).values_list("pk", flat=True))
    return facility_ids or None


def can_see_who_read(user, patient):
    """The patient and family see who looked at their own timeline ("who looked at my record")."""
    return can_view_patient(user, patient) and acts_as_family(user, patient)
# --- Devices, certificates, VPN numbers, disaster mode (trust/) ---------------


def device_managed_memberships(user, facility=None):
    """Memberships whose person's devices ``user`` manages (certificates, VPN numbers).

    A facility admin: the active staff and family members of the facilities they
    administer. The secretariat: the active administrators of usable facilities, and
    patients and families (their facilities have no administrator). No one manages their
    own devices here.
    """
    if not _is_person(user):
        return FacilityMembership.objects.none()
    memberships = FacilityMembership.objects.active().filter(
        facility__status__in=USABLE_FACILITY_STATUSES
    )
    if is_secretariat(user):
        memberships = memberships.filter(role__in=[MembershipRole.ADMIN, MembershipRole.FAMILY])
    else:
        memberships = memberships.filter(
            role__in=TEAM_ROLES, facility__in=administered_facilities(user)
        )
    if facility is not None:
        memberships = memberships.filter(facility=facility)
    return memberships.exclude(user=user)


def can_manage_device_of(user, target, facility=None):
    """Whether ``user`` may issue or revoke device certificates (and VPN numbers) of ``target``."""
    if target is None or not _is_person(user):
        return False
    return device_managed_memberships(user, facility).filter(user=target).exists()


def manageable_device_certificates(user, model):
    """Certificates ``user`` may see and revoke: their own people's (``model`` is
    ``trust.DeviceCertificate``; passed in so this module imports no app above it)."""
    if not _is_person(user):
        return model.objects.none()
    certificates = model.objects.filter(
        user_id__in=device_managed_memberships(user).values("user_id")
    )
    if not is_secretariat(user):
        certificates = certificates.filter(facility__in=administered_facilities(user))
    return certificates


def can_allocate_vpn_numbers(user):
    """Allocating numbers of the pool to facilities is the secretariat's."""
    return is_secretariat(user)


def can_switch_disaster_mode(user):
    return is_secretariat(user)
