"""Objects of one team asked for by id from another team (IDOR), and forged form fields that
try to raise one's role or reach another facility. Every attempt must be refused and change
nothing."""

import io

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
from PIL import Image

from network.access import SECRETARIAT_GROUP
from network.models import FacilityMembership, MemberLink, MembershipRole, TeamLink
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_family,
    make_patient,
    make_staff,
    totp_device,
)
from tests.security.tally import attempt
from timeline.models import Attachment, ChangeRequest, Notification, Post

pytestmark = pytest.mark.django_db


def _jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 80, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def _team(label, signed_in, django_capture_on_commit_callbacks):
    clinic = FacilityFactory(name=f"{label}医院")
    nurse = make_staff(clinic, job_title="看護師")
    doctor = make_staff(clinic, job_title="医師")
    patient = make_patient(f"{label} 患者", "かんじゃ")
    join_team(patient, clinic, nurse, doctor)
    family = make_family(patient)
    admin = make_admin(clinic)
    totp_device(admin)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(nurse).post(patient.url, {"body": f"{label}の投稿 @", "files": [_jpeg()]})
    post = Post.objects.filter(patient=patient).get()
    signed_in(family).post(f"/timeline/posts/{post.pk}/request/", {"kind": "edit", "reason": "直してください"})
    return {
        "clinic": clinic, "nurse": nurse, "doctor": doctor, "patient": patient, "family": family,
        "admin": admin, "post": post, "attachment": Attachment.objects.get(post=post),
        "change": ChangeRequest.objects.get(post=post),
        "membership": FacilityMembership.objects.get(user=nurse, facility=clinic),
        "link": MemberLink.objects.get(user=nurse, patient=patient),
    }


@pytest.fixture
def teams(signed_in, django_capture_on_commit_callbacks):
    return {
        "a": _team("甲", signed_in, django_capture_on_commit_callbacks),
        "b": _team("乙", signed_in, django_capture_on_commit_callbacks),
    }


def _unchanged(a):
    post = Post.objects.get(pk=a["post"].pk)
    return (
        post.body == "甲の投稿 @" and post.deleted_at is None
        and Attachment.objects.filter(pk=a["attachment"].pk).exists()
        and ChangeRequest.objects.get(pk=a["change"].pk).status == ChangeRequest.Status.OPEN
        and FacilityMembership.objects.get(pk=a["membership"].pk).until is None
        and MemberLink.objects.get(pk=a["link"].pk).until is None
        and Post.objects.filter(patient=a["patient"]).count() == 1
    )


def _refused(response):
    if response.status_code in (403, 404):
        return True
    # The Wagtail admin sends people without admin rights to sign in.
    return response.status_code == 302 and response.get("Location", "").startswith(("/accounts/login/", "/admin/login/"))


def idor_attempts(a, b):
    post, item, change, patient = a["post"], a["attachment"], a["change"], a["patient"]
    fa, fb = a["clinic"].pk, b["clinic"].pk
    return [
        ("posts", "get", f"/timeline/posts/{post.pk}/edit/", {}),
        ("posts", "post", f"/timeline/posts/{post.pk}/edit/", {"body": "改ざん", "version": post.version}),
        ("posts", "post", f"/timeline/posts/{post.pk}/delete/", {}),
        ("posts", "get", f"/timeline/posts/{post.pk}/history/", {}),
        ("posts", "get", f"/timeline/posts/{post.pk}/readers/", {}),
        ("posts", "get", f"/timeline/posts/{post.pk}/request/", {}),
        ("posts", "post", f"/timeline/posts/{post.pk}/request/", {"kind": "delete", "reason": "x"}),
        ("attachments", "get", f"/timeline/files/{item.pk}/", {}),
        ("attachments", "get", f"/timeline/files/{item.pk}/?download=1", {}),
        ("thumbnails", "get", f"/timeline/files/{item.pk}/thumbnail/", {}),
        ("change requests", "get", f"/timeline/requests/{change.pk}/answer/", {}),
        ("change requests", "post", f"/timeline/requests/{change.pk}/answer/", {"accept": "yes", "reply": "x"}),
        ("patients", "get", patient.url, {}),
        ("patients", "post", patient.url, {"body": "なりすまし投稿"}),
        ("patients", "get", f"/timeline/patients/{patient.patient_id}/export/", {"start": "2026-01-01", "end": "2026-01-31"}),
        ("patients", "get", f"/audit/patients/{patient.patient_id}/", {}),
        ("patients", "get", f"/admin/pages/{patient.pk}/edit/", {}),
        ("facilities", "get", f"/console/{fa}/", {}),
        ("facilities", "get", f"/console/{fa}/staff/add/", {}),
        ("facilities", "post", f"/console/{fa}/staff/add/", {"last_name": "侵入", "first_name": "者", "email": "x@example.jp", "job_title": "医師"}),
        ("facilities", "get", f"/admin/snippets/network/facility/edit/{fa}/", {}),
        ("memberships", "post", f"/console/{fa}/staff/{a['membership'].pk}/remove/", {}),
        ("memberships", "post", f"/console/{fb}/staff/{a['membership'].pk}/remove/", {}),
        ("memberships", "get", f"/admin/snippets/network/facilitymembership/edit/{a['membership'].pk}/", {}),
        ("team links", "get", f"/console/{fb}/patients/{patient.pk}/", {}),
        ("team links", "get", f"/console/{fa}/patients/{patient.pk}/", {}),
        ("team links", "post", f"/console/{fb}/patients/{patient.pk}/members/{a['link'].pk}/remove/", {}),
        ("team links", "post", f"/console/{fa}/patients/{patient.pk}/members/{a['link'].pk}/remove/", {}),
    ]


@pytest.mark.parametrize("attacker", ["nurse", "family", "admin"])
def test_objects_of_another_team_are_refused_by_id(teams, signed_in, attacker):
    a, b = teams["a"], teams["b"]
    client = signed_in(b[attacker])
    failures = []
    for kind, method, url, data in idor_attempts(a, b):
        response = getattr(client, method)(url, data)
        if not attempt(f"idor: {kind}", _refused(response) and _unchanged(a)):
            failures.append((kind, method, url, response.status_code))
    assert failures == []


def test_notifications_of_another_team_are_not_listed(teams, signed_in):
    a, b = teams["a"], teams["b"]
    assert Notification.objects.filter(user=a["doctor"]).exists()
    page = signed_in(b["nurse"]).get("/timeline/notifications/").content.decode()
    assert attempt("idor: notifications", a["patient"].title not in page)


def test_a_member_who_left_loses_every_object(teams, signed_in):
    """The same ids, asked for by a former member of team A (link ended)."""
    from network import services

    a = teams["a"]
    client = signed_in(a["doctor"])
    services.unlink_member(a["patient"], a["doctor"], a["clinic"])
    failures = []
    for kind, method, url, data in idor_attempts(a, teams["b"])[:17]:
        response = getattr(client, method)(url, data)
        if not attempt(f"idor: {kind}", _refused(response) and _unchanged(a)):
            failures.append((kind, method, url, response.status_code))
    assert failures == []


# --- Privilege escalation by forged form fields ------------------------------------


def test_admin_cannot_add_an_admin_or_secretariat_through_forged_fields(teams, signed_in):
    a = teams["a"]
    client = signed_in(a["admin"])
    response = client.post(
        f"/console/{a['clinic'].pk}/staff/add/",
        {"last_name": "新人", "first_name": "花子", "email": "new@example.jp", "job_title": "看護師",
         "role": "admin", "is_superuser": "on", "is_staff": "on", "groups": "1", "facility": teams["b"]["clinic"].pk},
    )
    assert response.status_code == 302
    membership = FacilityMembership.objects.get(user__email="new@example.jp")
    user = membership.user
    ok = (
        membership.role == MembershipRole.STAFF and membership.facility == a["clinic"]
        and not user.is_superuser and not user.is_staff and not user.groups.exists()
    )
    assert attempt("privilege escalation: staff → admin / admin → secretariat", ok)


def test_staff_cannot_reach_the_console_or_the_admin(teams, signed_in):
    a = teams["a"]
    client = signed_in(a["nurse"])
    tries = [
        client.post(f"/console/{a['clinic'].pk}/staff/add/", {"last_name": "x", "first_name": "y", "email": "z@example.jp"}),
        client.post(f"/console/{a['clinic'].pk}/staff/{a['membership'].pk}/remove/"),
        client.get("/admin/"),
        client.post("/admin/snippets/network/facilitymembership/add/",
                    {"user": a["nurse"].pk, "facility": a["clinic"].pk, "role": "admin", "since": "2026-01-01 00:00:00"}),
        client.get("/audit/"),
    ]
    for response in tries:
        assert attempt("privilege escalation: staff → admin / admin → secretariat", _refused(response))
    assert not FacilityMembership.objects.filter(user=a["nurse"], role=MembershipRole.ADMIN).exists()


def test_facility_admin_cannot_act_as_secretariat(teams, signed_in):
    a, b = teams["a"], teams["b"]
    client = signed_in(a["admin"])
    tries = [
        client.get("/admin/"),
        client.post("/admin/snippets/network/teamlink/add/",
                    {"patient": b["patient"].pk, "facility": a["clinic"].pk, "since": "2026-01-01 00:00:00"}),
        client.post(f"/admin/users/{a['admin'].pk}/", {"groups": [Group.objects.get(name=SECRETARIAT_GROUP).pk]}),
        client.get(f"/audit/patients/{b['patient'].patient_id}/"),
    ]
    for response in tries:
        assert attempt("privilege escalation: staff → admin / admin → secretariat", _refused(response))
    assert not TeamLink.objects.filter(patient=b["patient"], facility=a["clinic"]).exists()
    assert not a["admin"].groups.filter(name=SECRETARIAT_GROUP).exists()


def test_admin_of_facility_a_cannot_link_staff_of_facility_b(teams, signed_in):
    a, b = teams["a"], teams["b"]
    client = signed_in(a["admin"])
    b_membership = FacilityMembership.objects.get(user=b["doctor"], facility=b["clinic"])
    response = client.post(
        f"/console/{a['clinic'].pk}/patients/{a['patient'].pk}/",
        {"membership": b_membership.pk, "facility": b["clinic"].pk},
    )
    linked = MemberLink.objects.filter(user=b["doctor"], patient=a["patient"]).exists()
    assert attempt("privilege escalation: facility A → facility B", response.status_code in (200, 400, 404) and not linked)


def test_post_cannot_be_made_as_another_facility_or_author(teams, signed_in):
    a, b = teams["a"], teams["b"]
    client = signed_in(a["nurse"])
    response = client.post(
        a["patient"].url,
        {"body": "施設を偽る", "facility": b["clinic"].pk, "author": a["doctor"].pk, "patient": b["patient"].pk},
    )
    forged = Post.objects.filter(body="施設を偽る")
    ok = (response.status_code == 400 and not forged.exists()) or (
        forged.count() == 1 and forged.get().facility_id == a["clinic"].pk
        and forged.get().author_id == a["nurse"].pk and forged.get().patient_id == a["patient"].pk
    )
    assert attempt("privilege escalation: facility A → facility B", ok)


def test_edit_cannot_move_a_post_or_change_its_author(teams, signed_in):
    a, b = teams["a"], teams["b"]
    post = a["post"]
    signed_in(a["nurse"]).post(
        f"/timeline/posts/{post.pk}/edit/",
        {"body": "直した", "version": post.version, "author": a["doctor"].pk, "patient": b["patient"].pk,
         "facility": b["clinic"].pk},
    )
    post.refresh_from_db()
    ok = (post.author_id, post.patient_id, post.facility_id) == (a["nurse"].pk, a["patient"].pk, a["clinic"].pk)
    assert attempt("privilege escalation: facility A → facility B", ok)
