"""What goes into the audit log: sign-ins and failures, reads of patient data, writes,
administrative actions and every refusal; with request ids, addresses and the disaster flag."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

import pytest
from PIL import Image

from audit import log
from audit.models import AuditEntry
from tests.conftest import current_code
from tests.factories import (
    PASSWORD,
    FacilityFactory,
    join_team,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)
from timeline.models import Attachment, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    station = FacilityFactory(name="ひまわり訪問看護")
    nurse = make_staff(station, job_title="看護師")
    outsider = make_staff(FacilityFactory())
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, station, nurse)
    return {"station": station, "patient": patient, "nurse": nurse, "outsider": outsider}


def _jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 80)).save(buffer, "JPEG")
    return SimpleUploadedFile("褥瘡.jpg", buffer.getvalue(), content_type="image/jpeg")


def _last(action):
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


def test_sign_in_and_sign_out_are_recorded_with_address_and_agent(team):
    client = Client(HTTP_USER_AGENT="TestBrowser/1.0")
    client.post("/accounts/login/", {"username": team["nurse"].email, "password": PASSWORD},
                REMOTE_ADDR="192.0.2.10")
    entry = _last("auth.login")
    assert (entry.actor_id, entry.address, entry.user_agent) == (team["nurse"].pk, "192.0.2.10", "TestBrowser/1.0")
    assert entry.facility_id == team["station"].pk and entry.role == "staff"
    client.post("/accounts/logout/")
    assert _last("auth.logout").actor_id == team["nurse"].pk


def test_failed_sign_in_and_lockout_are_recorded_without_the_password(team):
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": team["nurse"].email, "password": "wrong-Secret-1"},
                    REMOTE_ADDR="192.0.2.20")
    failures = AuditEntry.objects.filter(action="auth.login_failed")
    assert failures.count() == 5
    assert all(f.decision == "denied" and f.detail["username"] == team["nurse"].email for f in failures)
    assert _last("auth.locked_out").decision == "denied"
    assert "wrong-Secret-1" not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_second_factor_failure_is_recorded(signed_in):
    admin = make_secretariat()
    device = totp_device(admin)
    client = Client()
    client.post("/accounts/login/", {"username": admin.email, "password": PASSWORD})
    client.post("/2fa/verify/", {"token": "000000" if current_code(device) != "000000" else "111111"})
    assert _last("auth.second_factor_failed").actor_id == admin.pk


def test_post_file_thumbnail_and_export_reads_and_the_write_are_recorded(team, signed_in):
    client = signed_in(team["nurse"])
    patient = team["patient"]
    response = client.post(patient.url, {"body": "本日訪問しました", "files": [_jpeg()]})
    assert response.status_code == 302
    write = _last("post.create")
    assert (write.patient_id, write.decision, write.detail["method"]) == (patient.pk, "allowed", "POST")
    attachment = Attachment.objects.get()
    client.get(patient.url)
    client.get(f"/timeline/files/{attachment.pk}/")
    client.get(f"/timeline/files/{attachment.pk}/thumbnail/")
    client.get(f"/timeline/patients/{patient.patient_id}/export/", {"start": "2026-01-01", "end": "2026-12-31"})
    post = Post.objects.get()
    client.get(f"/timeline/posts/{post.pk}/history/")
    for action in ("timeline.read", "attachment.read", "attachment.thumbnail", "timeline.export", "post.history"):
        entry = _last(action)
        assert entry is not None, action
        assert (entry.actor_id, entry.patient_id, entry.facility_id) == (
            team["nurse"].pk, patient.pk, team["station"].pk
        )
        assert entry.detail["job_title"] == "看護師"
    text = str(list(AuditEntry.objects.values_list()))
    assert "福井" not in text and "本日訪問しました" not in text and "褥瘡" not in text
    assert log.verify() == []


def test_a_post_is_recorded_with_the_facility_and_job_title_it_is_written_for(team, signed_in):
    """Someone on the team through two facilities: the entry names the one chosen."""
    from network import services as network_services
    from network.models import MembershipRole

    clinic = FacilityFactory(name="あおば診療所")
    network_services.add_membership(team["nurse"], clinic, MembershipRole.STAFF, job_title="保健師")
    join_team(team["patient"], clinic, team["nurse"])
    client = signed_in(team["nurse"])
    for facility, job_title in ((clinic, "保健師"), (team["station"], "看護師")):
        response = client.post(team["patient"].url, {"body": "訪問しました", "facility": facility.pk})
        assert response.status_code == 302
        write = _last("post.create")
        assert (write.facility_id, write.role, write.detail["job_title"]) == (facility.pk, "staff", job_title)
        assert Post.objects.order_by("-id").first().author_job_title == job_title
    assert log.verify() == []


def test_edit_and_delete_are_recorded_against_the_post(team, signed_in):
    client = signed_in(team["nurse"])
    client.post(team["patient"].url, {"body": "最初の本文"})
    post = Post.objects.get()
    client.post(f"/timeline/posts/{post.pk}/edit/", {"body": "直した本文", "version": post.version})
    client.post(f"/timeline/posts/{post.pk}/delete/")
    edit, delete = _last("post.edit"), _last("post.delete")
    assert (edit.target_type, edit.target_id, edit.patient_id) == ("Post", str(post.pk), team["patient"].pk)
    assert delete.detail["status"] == 302


def test_refusals_are_recorded_once_each(team, signed_in):
    nurse = signed_in(team["nurse"])
    nurse.post(team["patient"].url, {"body": "本文"})
    post = Post.objects.get()
    outsider = signed_in(team["outsider"])
    before = AuditEntry.objects.filter(decision="denied").count()
    assert outsider.get(f"/timeline/posts/{post.pk}/history/").status_code == 404
    assert outsider.post(f"/timeline/posts/{post.pk}/delete/").status_code == 404
    assert outsider.get(team["patient"].url).status_code == 404
    denied = list(AuditEntry.objects.filter(decision="denied").order_by("id"))[before:]
    assert [(d.action, d.actor_id) for d in denied] == [
        ("denied", team["outsider"].pk),
        ("write", team["outsider"].pk),
        ("patient.view", team["outsider"].pk),
    ]
    assert denied[0].detail == {"status": 404, "view": "timeline:history", "pk": str(post.pk), "method": "GET", "job_title": "看護師"}


def test_request_id_is_returned_and_recorded(team, signed_in):
    response = signed_in(team["nurse"]).get(team["patient"].url)
    assert _last("timeline.read").request_id == response["X-Request-ID"]


def test_admin_actions_are_recorded(signed_in):
    secretariat = make_secretariat()
    totp_device(secretariat)
    client = signed_in(secretariat)
    client.get("/admin/snippets/network/facility/")
    patient, clinic = make_patient("坂井 ナツ", "さかい なつ"), FacilityFactory()
    response = client.post(
        "/admin/snippets/network/teamlink/add/",
        {"patient": patient.pk, "facility": clinic.pk, "since": "2026-11-01 09:00:00"},
    )
    assert response.status_code == 302
    assert _last("admin.view").actor_id == secretariat.pk
    write = _last("admin.write")
    assert (write.actor_id, write.role, write.detail["status"]) == (secretariat.pk, "secretariat", 302)
    created = _last("admin.wagtail.create")
    assert created.actor_id == secretariat.pk and created.detail["model"] == "network.teamlink"
    assert "坂井" not in str(list(AuditEntry.objects.values_list()))


def test_disaster_mode_flag_is_copied_from_the_request(rf, team):
    request = rf.get("/")
    request.user = team["nurse"]
    request.disaster_mode = True
    assert log.record("timeline.read", request=request, patient=team["patient"]).disaster_mode is True
    request.disaster_mode = False
    assert log.record("timeline.read", request=request, patient=team["patient"]).disaster_mode is False
    assert log.verify() == []


def test_ipv6_addresses_keep_the_chain_intact(rf):
    request = rf.get("/", REMOTE_ADDR="2001:0db8:0000:0000:0000:0000:0000:0001")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    entry = log.record("test.ipv6", request=request)
    assert AuditEntry.objects.get(pk=entry.pk).address == "2001:db8::1"
    assert log.verify() == []
