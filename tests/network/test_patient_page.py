"""PatientPage.serve() asks the policy: the team reads, everyone else gets a bare 404."""

import pytest

from tests.factories import FacilityFactory, join_team, make_patient, make_secretariat, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    clinic, other = FacilityFactory(), FacilityFactory()
    nurse, outsider = make_staff(clinic), make_staff(other)
    patient = make_patient("見守 花子", "みまもり はなこ")
    join_team(patient, clinic, nurse)
    return {"patient": patient, "nurse": nurse, "outsider": outsider}


def test_team_member_reads_patient_page(world, signed_in):
    response = signed_in(world["nurse"]).get(world["patient"].url)
    assert response.status_code == 200
    assert "見守 花子" in response.content.decode()


def test_outsider_gets_404_without_patient_data(world, signed_in):
    response = signed_in(world["outsider"]).get(world["patient"].url)
    assert response.status_code == 404
    body = response.content.decode()
    assert "見守" not in body and "みまもり はなこ" not in body


def test_secretariat_gets_404_on_patient_page(world, signed_in):
    response = signed_in(make_secretariat()).get(world["patient"].url)
    # the secretariat has no second factor in this test: enrolment is demanded first
    assert response.status_code == 302
    assert response["Location"].startswith("/2fa/setup/")


def test_anonymous_is_sent_to_login_whether_or_not_the_patient_exists(world, client):
    existing = client.get(world["patient"].url)
    missing = client.get("/network/patients/00000000000000000000000000000000/")
    assert existing.status_code == missing.status_code == 302
    assert existing["Location"].startswith("/accounts/login/")
    assert missing["Location"].startswith("/accounts/login/")


def test_superuser_linked_as_staff_still_gets_404(world, signed_in):
    from tests.factories import join_team, make_staff, totp_device

    clinic = world["patient"].team_links.first().facility
    admin_user = make_staff(clinic)
    admin_user.is_superuser = True
    admin_user.save()
    totp_device(admin_user)
    join_team(world["patient"], clinic, admin_user)
    response = signed_in(admin_user).get(world["patient"].url)
    assert response.status_code == 404
    assert "見守" not in response.content.decode()


def test_deactivated_member_is_not_counted_among_readers(world):
    from network import access

    assert world["nurse"].pk in access.readers_of(world["patient"])
    world["nurse"].is_active = False
    world["nurse"].save()
    assert world["nurse"].pk not in access.readers_of(world["patient"])
