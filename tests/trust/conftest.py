import pytest

from tests.factories import FacilityFactory, make_admin, make_secretariat, make_staff, totp_device
from trust import ca as trust_ca


@pytest.fixture
def authority(db):
    return trust_ca.init_ca()


@pytest.fixture
def world(db, signed_in, authority):
    """A clinic with its admin and two staff, a second facility with its admin, the secretariat."""
    clinic = FacilityFactory(name="みまもり医院")
    other = FacilityFactory(name="ほか薬局")
    admin = make_admin(clinic)
    other_admin = make_admin(other)
    secretariat = make_secretariat()
    for user in (admin, other_admin, secretariat):
        totp_device(user)
    nurse = make_staff(clinic, job_title="看護師", last_name="坂井", first_name="美和")
    doctor = make_staff(clinic, job_title="医師")
    pharmacist = make_staff(other, job_title="薬剤師")
    return {
        "clinic": clinic,
        "other": other,
        "admin": admin,
        "other_admin": other_admin,
        "secretariat": secretariat,
        "nurse": nurse,
        "doctor": doctor,
        "pharmacist": pharmacist,
        "signed_in": signed_in,
    }


def membership_of(user, facility):
    return user.memberships.get(facility=facility, until__isnull=True)
