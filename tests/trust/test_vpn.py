"""VPN numbers 0000-9999: allocated per facility by the secretariat, assigned by the admin."""

import threading

from django.db import connection

import pytest

from network import services as network_services
from tests.factories import FacilityFactory
from trust import services
from trust.models import VpnNumber

from .conftest import membership_of

pytestmark = pytest.mark.django_db


def test_secretariat_allocates_two_by_default_lowest_free_first(world):
    client = world["signed_in"](world["secretariat"])
    response = client.post("/trust/vpn/", {"facility": world["clinic"].pk, "count": 2}, follow=True)
    assert "0000、0001" in response.content.decode()
    assert list(world["clinic"].vpn_numbers.values_list("number", flat=True)) == [0, 1]
    services.allocate_vpn_numbers(world["other"])  # form 1's count, else two
    assert list(world["other"].vpn_numbers.values_list("number", flat=True)) == [2, 3]


def test_form_1_count_is_used(world):
    world["clinic"].vpn_request_count = 3
    world["clinic"].save()
    assert len(services.allocate_vpn_numbers(world["clinic"])) == 3


def test_the_10001st_number_is_refused_with_a_message(world):
    VpnNumber.objects.bulk_create(
        [VpnNumber(number=n, facility=world["other"]) for n in range(9999)]
    )
    with pytest.raises(services.TrustError, match="空きは1個、必要な数は2個"):
        services.allocate_vpn_numbers(world["clinic"], 2)
    assert not world["clinic"].vpn_numbers.exists()  # nothing half-stored
    assert [v.number for v in services.allocate_vpn_numbers(world["clinic"], 1)] == [9999]
    client = world["signed_in"](world["secretariat"])
    response = client.post("/trust/vpn/", {"facility": world["clinic"].pk, "count": 1})
    assert "VPN番号の空きが足りません" in response.content.decode()
    assert VpnNumber.objects.count() == 10000


def test_only_the_secretariat_allocates(world):
    client = world["signed_in"](world["admin"])
    assert client.post("/trust/vpn/", {"facility": world["clinic"].pk, "count": 2}).status_code == 404
    assert not VpnNumber.objects.exists()


def test_admin_assigns_a_number_to_staff_and_double_assignment_is_refused(world):
    first, second = services.allocate_vpn_numbers(world["clinic"])
    client = world["signed_in"](world["admin"])
    url = f"/trust/vpn/facility/{world['clinic'].pk}/"
    nurse = membership_of(world["nurse"], world["clinic"])
    response = client.post(url, {"number": first.pk, "membership": nurse.pk, "device": "PC"}, follow=True)
    assert "0000 を" in response.content.decode()
    first.refresh_from_db()
    assert first.assigned_user == world["nurse"]
    doctor = membership_of(world["doctor"], world["clinic"])
    again = client.post(url, {"number": first.pk, "membership": doctor.pk})
    assert "すでに割り当てられている" in again.content.decode()
    with pytest.raises(services.TrustError, match="すでに .* さんに割り当てられています"):
        services.assign_vpn_number(first, world["doctor"])
    first.refresh_from_db()
    assert first.assigned_user == world["nurse"]


def test_another_facilitys_admin_cannot_touch_the_numbers(world):
    vpn, _ = services.allocate_vpn_numbers(world["clinic"])
    client = world["signed_in"](world["other_admin"])
    assert client.get(f"/trust/vpn/facility/{world['clinic'].pk}/").status_code == 404
    assert client.post(f"/trust/vpn/facility/{world['clinic'].pk}/{vpn.pk}/unassign/").status_code == 404


def test_deregistration_releases_the_numbers(world):
    services.allocate_vpn_numbers(world["clinic"])
    network_services.deregister_facility(world["clinic"])
    assert not VpnNumber.objects.exists()
    newcomer = FacilityFactory()
    assert [v.number for v in services.allocate_vpn_numbers(newcomer)] == [0, 1]


def test_wireguard_config_is_downloaded_once(world):
    vpn, _ = services.allocate_vpn_numbers(world["clinic"])
    services.assign_vpn_number(vpn, world["nurse"])
    client = world["signed_in"](world["admin"])
    url = f"/trust/vpn/facility/{world['clinic'].pk}/{vpn.pk}/wireguard/"
    client.post(url, {"action": "make"})
    vpn.refresh_from_db()
    assert len(vpn.wireguard_public_key) == 44
    response = client.post(url, {"action": "take"})
    config = response.content.decode()
    assert "[Interface]" in config and "PrivateKey = " in config
    again = client.post(url, {"action": "take"}, follow=True)
    assert "すでに受け取られています" in again.content.decode()


@pytest.mark.django_db(transaction=True)
def test_parallel_allocations_never_share_a_number(world):
    facilities = [FacilityFactory() for _ in range(6)]
    errors = []
    barrier = threading.Barrier(len(facilities))

    def allocate(facility):
        try:
            barrier.wait()
            services.allocate_vpn_numbers(facility, 3, attempts=20)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(f,)) for f in facilities]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = list(VpnNumber.objects.values_list("number", flat=True))
    assert len(numbers) == 18 and len(set(numbers)) == 18
    for facility in facilities:
        assert facility.vpn_numbers.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_duplicate_number(world):
    from django.db import IntegrityError

    VpnNumber.objects.create(number=42, facility=world["clinic"])
    with pytest.raises(IntegrityError):
        VpnNumber.objects.create(number=42, facility=world["other"])
    with pytest.raises(IntegrityError):
        VpnNumber.objects.create(number=10000, facility=world["other"])
