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


def test_patient_url_is_served_by_the_direct_route(world):
    from django.urls import resolve

    # The tree's URL of the page and the one-query route are the same address.
    assert resolve(world["patient"].url).url_name == "patient_timeline"


def test_unpublished_patient_is_404_for_a_former_team_member(world, signed_in):
    patient = world["patient"]
    patient.live = False
    patient.save()
    response = signed_in(world["nurse"]).get(patient.url)
    assert response.status_code == 404
    assert "見守" not in response.content.decode()


def test_team_list_shows_who_may_read_with_job_titles(world, signed_in):
    from network import access

    members = access.team_of(world["patient"])
    assert [m.pk for m in members] == [world["nurse"].pk]
    body = signed_in(world["nurse"]).get(world["patient"].url).content.decode()
    assert f"{world['nurse'].get_full_name()}（看護師）" in body


def test_team_list_drops_a_member_whose_link_ended(world, signed_in):
    from network import access, services
    from tests.factories import make_staff

    clinic = world["patient"].team_links.first().facility
    leaver = make_staff(clinic, job_title="理学療法士")
    services.link_member(world["patient"], leaver, clinic)
    assert leaver.pk in {m.pk for m in access.team_of(world["patient"])}
    services.unlink_member(world["patient"], leaver, clinic)
    assert leaver.pk not in {m.pk for m in access.team_of(world["patient"])}
    body = signed_in(world["nurse"]).get(world["patient"].url).content.decode()
    assert "理学療法士" not in body
