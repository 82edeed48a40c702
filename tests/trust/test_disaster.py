"""Disaster mode: the secretariat switches it on for at most 72 hours; a report follows."""

from datetime import timedelta

from django.utils import timezone

import pytest

from audit.models import AuditEntry
from trust import services
from trust.models import DisasterMode

pytestmark = pytest.mark.django_db


def test_secretariat_starts_disaster_mode_and_every_page_shows_the_banner(world):
    client = world["signed_in"](world["secretariat"])
    response = client.post("/trust/disaster/", {"reason": "地震による停電", "hours": 24}, follow=True)
    assert "災害時モードを開始しました" in response.content.decode()
    mode = DisasterMode.objects.get()
    assert mode.ends_at - mode.started_at == timedelta(hours=24)
    staff_page = world["signed_in"](world["nurse"]).get("/home/").content.decode()
    assert "災害時モード実施中" in staff_page and "地震による停電" in staff_page


def test_more_than_72_hours_is_refused_and_nothing_is_stored(world):
    client = world["signed_in"](world["secretariat"])
    response = client.post("/trust/disaster/", {"reason": "台風", "hours": 73})
    assert response.status_code == 200
    assert "72時間以内" in response.content.decode()
    assert not DisasterMode.objects.exists()


def test_reason_is_required(world):
    client = world["signed_in"](world["secretariat"])
    response = client.post("/trust/disaster/", {"reason": "", "hours": 5})
    assert not DisasterMode.objects.exists()
    assert "errorlist" in response.content.decode()


def test_it_ends_by_itself(world):
    now = timezone.now()
    DisasterMode.objects.create(
        reason="過去の災害", started_at=now - timedelta(hours=80), ends_at=now - timedelta(hours=8)
    )
    assert services.current_disaster_mode() is None
    page = world["signed_in"](world["nurse"]).get("/home/").content.decode()
    assert "災害時モード実施中" not in page


def test_secretariat_ends_it_early(world):
    mode = services.start_disaster_mode("停電", 10, actor=world["secretariat"])
    client = world["signed_in"](world["secretariat"])
    client.post("/trust/disaster/", {"action": "end"})
    mode.refresh_from_db()
    assert mode.ended_at is not None and services.current_disaster_mode() is None


def test_only_the_secretariat_may_switch_it(world):
    for who in ("admin", "nurse"):
        client = world["signed_in"](world[who])
        assert client.post("/trust/disaster/", {"reason": "x", "hours": 1}).status_code == 404
    assert not DisasterMode.objects.exists()


def test_report_lists_what_was_done_under_it(world):
    mode = services.start_disaster_mode("停電", 10, actor=world["secretariat"])
    nurse = world["signed_in"](world["nurse"])
    nurse.post("/i18n/setlang/", {"language": "ja", "next": "/home/"})
    services.end_disaster_mode(mode, actor=world["secretariat"])
    world["signed_in"](world["nurse"]).post("/i18n/setlang/", {"language": "ja", "next": "/home/"})
    report = world["signed_in"](world["secretariat"]).get(f"/trust/disaster/{mode.pk}/report/")
    page = report.content.decode()
    assert world["nurse"].email in page and "/i18n/setlang/" in page
    flagged = AuditEntry.objects.filter(disaster_mode=True, action="disaster.request")
    assert flagged.count() == 1  # the request after the end is not flagged
