"""The access policy against an independent oracle, on random graphs of facilities,
memberships, patients, team links and member links.

Rows are created directly (``Model.objects.create``), bypassing the services'
validation and cascades, so states the services would never leave behind occur
too: active team links of a deregistered facility, member links through a
facility that is not (or no longer) linked, member links of an administrator,
links that start in the future. The policy must hold in all of them: it is the
policy, not the tidiness of the data, that keeps timelines closed.

The oracle below reads only the lists hypothesis generated, never the database.

Each example runs inside ``transaction.atomic()`` and is rolled back, because
hypothesis runs all examples inside one pytest test (function-scoped fixtures are
not reset between examples). The patients are created once per test and only
their ``live`` flag changes inside an example.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from network import access
from network.models import (
    Facility,
    FacilityKind,
    FacilityMembership,
    FacilityStatus,
    MemberLink,
    MembershipRole,
    PatientPage,
    TeamLink,
)
from tests.factories import make_patient

pytestmark = pytest.mark.django_db

N_PATIENTS = 3

# A row's period, relative to now. Only "open" and "ending_later" are in force now.
# Weighted towards "in force" so that many examples grant something.
PERIODS = ["open"] * 5 + ["ending_later", "ended", "not_started"]
IN_FORCE = {"open", "ending_later"}

STATUSES = [
    FacilityStatus.ACTIVE,
    FacilityStatus.ACTIVE,
    FacilityStatus.PROVISIONAL,
    FacilityStatus.DEREGISTERED,
]
USABLE = {FacilityStatus.ACTIVE, FacilityStatus.PROVISIONAL}

# Kinds of people. A secretariat member may also be staff somewhere (and linked to
# patients): the secretariat still never reads a timeline.
USER_KINDS = ["staff", "staff", "staff", "family", "admin", "admin", "secretariat"]
ROLE_OF_KIND = {
    "staff": MembershipRole.STAFF,
    "family": MembershipRole.FAMILY,
    "admin": MembershipRole.ADMIN,
    "secretariat": MembershipRole.STAFF,
}


def period_fields(period, now):
    day = timedelta(days=1)
    return {
        "open": {"since": now - day, "until": None},
        "ended": {"since": now - 2 * day, "until": now - day},
        "ending_later": {"since": now - day, "until": now + day},
        "not_started": {"since": now + day, "until": None},
    }[period]


def dedupe_open(rows, key):
    """Keep at most one row without ``until`` per key (the partial unique constraints)."""
    seen, kept = set(), []
    for row in rows:
        if row["period"] in ("open", "not_started"):
            if key(row) in seen:
                continue
            seen.add(key(row))
        kept.append(row)
    return kept


@st.composite
def graphs(draw):
    periods = st.sampled_from(PERIODS)
    mostly = st.sampled_from([True] * 5 + [False])
    patients = [{"live": draw(mostly)} for _ in range(N_PATIENTS)]

    facilities = [
        {"kind": "clinic", "status": draw(st.sampled_from(STATUSES)), "family_of": None}
        for _ in range(draw(st.integers(1, 3)))
    ]
    for p in range(N_PATIENTS):
        if draw(st.booleans()):
            facilities.append(
                {"kind": "family", "status": draw(st.sampled_from(STATUSES)), "family_of": p}
            )
    clinics = [i for i, f in enumerate(facilities) if f["kind"] == "clinic"]
    families = [i for i, f in enumerate(facilities) if f["kind"] == "family"]
    any_facility = st.integers(0, len(facilities) - 1)

    users = []
    for _ in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(USER_KINDS))
        if kind == "family" and not families:
            kind = "staff"
        users.append({"kind": kind, "is_active": draw(mostly)})

    memberships = []
    for u, user in enumerate(users):
        pool = families if user["kind"] == "family" else clinics
        at_least = 0 if user["kind"] == "secretariat" else 1
        for fac in draw(st.lists(st.sampled_from(pool), min_size=at_least, max_size=3)):
            memberships.append(
                {"user": u, "facility": fac, "role": ROLE_OF_KIND[user["kind"]], "period": draw(periods)}
            )
    memberships = dedupe_open(memberships, key=lambda r: (r["user"], r["facility"]))

    team_links = [
        {"patient": p, "facility": f, "period": draw(periods)}
        for p, f in draw(
            st.lists(
                st.tuples(st.integers(0, N_PATIENTS - 1), st.sampled_from(clinics)),
                min_size=1,
                max_size=6,
            )
        )
    ]
    # A family facility is only ever linked to its own patient.
    for f in families:
        for _ in range(draw(st.integers(0, 2))):
            team_links.append(
                {"patient": facilities[f]["family_of"], "facility": f, "period": draw(periods)}
            )
    team_links = dedupe_open(team_links, key=lambda r: (r["patient"], r["facility"]))

    member_links = []
    linked_pairs = sorted({(t["patient"], t["facility"]) for t in team_links})
    any_patient = st.integers(0, N_PATIENTS - 1)
    for u in range(len(users)):
        # Through a facility of the person that is linked to the patient, through one
        # of the person's facilities, through a facility linked to the patient (the
        # person's or not), or through any facility at all.
        own = sorted({m["facility"] for m in memberships if m["user"] == u})
        coherent = [(p, f) for p, f in linked_pairs if f in own]
        choices = [st.tuples(any_patient, any_facility)]
        if linked_pairs:
            choices.insert(0, st.sampled_from(linked_pairs))
        if own:
            choices.insert(0, st.tuples(any_patient, st.sampled_from(own)))
        if coherent:
            choices.insert(0, st.sampled_from(coherent))
        for p, f in draw(st.lists(st.one_of(*choices), min_size=1, max_size=4)):
            member_links.append({"user": u, "patient": p, "facility": f, "period": draw(periods)})
    member_links = dedupe_open(member_links, key=lambda r: (r["patient"], r["user"], r["facility"]))

    return {
        "patients": patients,
        "facilities": facilities,
        "users": users,
        "memberships": memberships,
        "team_links": team_links,
        "member_links": member_links,
    }


# --- The oracle: SPEC §2 over the generated lists -----------------------------------


def oracle_visible(g, u):
    """Patients user ``u`` may read: staff/family, every link in force, facility usable."""
    user = g["users"][u]
    if not user["is_active"] or user["kind"] == "secretariat":
        return set()
    visible = set()
    for ml in g["member_links"]:
        p, f = ml["patient"], ml["facility"]
        if ml["user"] != u or ml["period"] not in IN_FORCE:
            continue
        if not g["patients"][p]["live"] or g["facilities"][f]["status"] not in USABLE:
            continue
        member = any(
            m["user"] == u
            and m["facility"] == f
            and m["role"] in (MembershipRole.STAFF, MembershipRole.FAMILY)
            and m["period"] in IN_FORCE
            for m in g["memberships"]
        )
        linked = any(
            t["patient"] == p and t["facility"] == f and t["period"] in IN_FORCE
            for t in g["team_links"]
        )
        if member and linked:
            visible.add(p)
    return visible


def oracle_administered(g, u):
    """Usable facilities where ``u`` holds an administrator membership in force."""
    if not g["users"][u]["is_active"]:
        return set()
    return {
        m["facility"]
        for m in g["memberships"]
        if m["user"] == u
        and m["role"] == MembershipRole.ADMIN
        and m["period"] in IN_FORCE
        and g["facilities"][m["facility"]]["status"] in USABLE
    }


def oracle_can_manage_facility(g, u, f):
    user = g["users"][u]
    if not user["is_active"]:
        return False
    if user["kind"] == "secretariat":
        return g["facilities"][f]["status"] in USABLE
    return f in oracle_administered(g, u)


def oracle_manageable(g, u, facility=None):
    """Patients whose team ``u`` manages (optionally through ``facility`` only)."""
    user = g["users"][u]
    if not user["is_active"]:
        return set()
    if user["kind"] == "secretariat":
        if facility is None:
            return set(range(N_PATIENTS))  # every patient, live or not
        facilities = {facility} if g["facilities"][facility]["status"] in USABLE else set()
    else:
        facilities = oracle_administered(g, u)
        if facility is not None:
            facilities &= {facility}
    return {
        t["patient"]
        for t in g["team_links"]
        if t["facility"] in facilities
        and t["period"] in IN_FORCE
        and g["patients"][t["patient"]]["live"]
    }


# --- Building the rows ---------------------------------------------------------------


def build(g, patient_pks):
    now = timezone.now()
    PatientPage.objects.filter(
        pk__in=[pk for pk, p in zip(patient_pks, g["patients"], strict=True) if not p["live"]]
    ).update(live=False)
    patients = [PatientPage.objects.get(pk=pk) for pk in patient_pks]

    facilities = []
    for i, f in enumerate(g["facilities"]):
        family = f["kind"] == "family"
        facilities.append(
            Facility.objects.create(
                kind=FacilityKind.FAMILY if family else FacilityKind.MEDICAL,
                code="" if family else f"{8000000000 + i:010d}",
                name=f"施設{i}",
                status=f["status"],
                family_of=patients[f["family_of"]] if family else None,
            )
        )

    secretariat = Group.objects.get(name=access.SECRETARIAT_GROUP)
    users = []
    for i, u in enumerate(g["users"]):
        user = get_user_model().objects.create(
            email=f"prop{i}@example.jp", last_name=f"人{i}", is_active=u["is_active"]
        )
        if u["kind"] == "secretariat":
            user.groups.add(secretariat)
        users.append(user)

    for m in g["memberships"]:
        FacilityMembership.objects.create(
            user=users[m["user"]],
            facility=facilities[m["facility"]],
            role=m["role"],
            **period_fields(m["period"], now),
        )
    for t in g["team_links"]:
        TeamLink.objects.create(
            patient=patients[t["patient"]],
            facility=facilities[t["facility"]],
            **period_fields(t["period"], now),
        )
    for ml in g["member_links"]:
        MemberLink.objects.create(
            patient=patients[ml["patient"]],
            user=users[ml["user"]],
            facility=facilities[ml["facility"]],
            **period_fields(ml["period"], now),
        )
    return patients, facilities, users


@pytest.fixture
def patient_pks():
    return [make_patient(f"性質 {i}", f"せいしつ {i}").pk for i in range(N_PATIENTS)]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(g=graphs())
def test_policy_matches_the_oracle(patient_pks, g):
    with transaction.atomic():
        patients, facilities, users = build(g, patient_pks)
        index_of = {p.pk: i for i, p in enumerate(patients)}
        # seen with --hypothesis-show-statistics: how often the answers are not empty
        event(f"someone reads a patient: {any(oracle_visible(g, u) for u in range(len(users)))}")
        event(
            "an admin manages a patient: "
            f"{any(oracle_manageable(g, u) for u, x in enumerate(g['users']) if x['kind'] == 'admin')}"
        )

        for u, user in enumerate(users):
            expected = oracle_visible(g, u)
            assert {index_of[pk] for pk in access.visible_patients(user).values_list("pk", flat=True)} == expected, (u, g)
            for p, patient in enumerate(patients):
                assert access.can_view_patient(user, patient) is (p in expected), (u, p, g)
                assert access.can_post(user, patient) is (p in expected), (u, p, g)

            manageable = {index_of[pk] for pk in access.manageable_patients(user).values_list("pk", flat=True)}
            assert manageable == oracle_manageable(g, u), (u, g)
            for f, facility in enumerate(facilities):
                assert access.can_manage_facility(user, facility) is oracle_can_manage_facility(g, u, f), (u, f, g)
                through = {
                    index_of[pk]
                    for pk in access.manageable_patients(user, facility).values_list("pk", flat=True)
                }
                assert through == oracle_manageable(g, u, f), (u, f, g)

        # The other direction: who reads each patient, with and without names.
        for p, patient in enumerate(patients):
            readers = {u for u in range(len(users)) if p in oracle_visible(g, u)}
            expected_pks = {users[u].pk for u in readers}
            assert access.readers_of(patient) == expected_pks, (p, g)
            assert {m.pk for m in access.team_of(patient)} == expected_pks, (p, g)

        transaction.set_rollback(True)
