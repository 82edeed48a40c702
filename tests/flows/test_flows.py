"""The guide's operation flows ①-⑪ (SPEC §5), end to end.

Each test drives the flow through the real screens (the secretariat's review in the
Wagtail admin, the facility console, invitation links and second-factor enrolment) and
then checks the state, who can see the patient, and the exact mails: recipients and
Japanese subjects. No mail names a patient or quotes a post.
"""

from django.core import mail
from django.test import Client

import pytest

from forms.models import Submission, SubmissionStatus
from network.models import (
    Facility,
    FacilityMembership,
    FacilityStatus,
    MemberLink,
    PatientPage,
    TeamLink,
)
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_family,
    make_patient,
    make_staff,
)

from .conftest import (
    PREFIX,
    accept_invitation,
    can_see,
    enrol_second_factor,
    messages_of,
    sent,
    submit,
)

pytestmark = pytest.mark.django_db

CONTACT = "contact@applicant.example.jp"
PATIENT_NAME = "越前 一郎"


def form_1(code="1800000001", email="admin@naika.example.jp", name="みまもり内科"):
    return {
        "facility_kind": "medical",
        "facility_code": code,
        "facility_name": name,
        "facility_name_kana": "ミマモリナイカ",
        "postal_code": "910-0001",
        "address": "福井市大願寺3-4-10",
        "phone": "0776-24-0387",
        "representative": "福井 花子",
        "medical_net": "no",
        "admin_name": "福井 太郎",
        "admin_name_kana": "フクイ タロウ",
        "admin_email": email,
        "vpn_count": 2,
    }


def form_5(team="", family_email=""):
    data = {
        "consent_date": "2026-04-01",
        "patient_name": PATIENT_NAME,
        "patient_name_kana": "エチゼン イチロウ",
        "patient_birth_date": "1940-05-05",
        "patient_sex": "male",
        "patient_address": "福井市中央1-1-1",
        "family_join": "no",
        "explainer_facility": "みまもり内科",
        "explainer_name": "医師 一",
        "team_facilities": team,
    }
    if family_email:
        data.update(
            family_join="yes", family_name="越前 花子", family_relation="長女", family_email=family_email
        )
    return data


def form_8(facility, patient):
    return {
        "facility_code": facility.code,
        "facility_name": facility.name,
        "representative": "代表 者",
        "patient_name": patient.title,
        "patient_name_kana": patient.name_kana,
        "patient_birth_date": "1940-05-05",
        "start_date": "2026-05-01",
    }


def timeline(client, patient):
    return client.get(f"/network/patients/{patient.slug}/")


def assert_no_patient_content(since=0):
    """No flow mail names the patient. (A family member's own invitation names their family
    facility, which carries the patient's name; erasure attributes that copy to the patient.)"""
    for message in mail.outbox[since:]:
        if message.subject == PREFIX + "利用者登録のご案内":
            continue
        assert PATIENT_NAME not in message.subject + message.body


def register_facility(clerk, capture, **kwargs):
    """Form 1 accepted; the invited admin sets a password and enrols the second factor (本登録)."""
    submission = submit("1", form_1(**kwargs))
    clerk.accept(submission, capture)
    facility = Facility.objects.get(code=kwargs.get("code", "1800000001"))
    invitation = next(m for m in mail.outbox if m.to == [facility.admin_email])
    with capture(execute=True):
        admin_client = accept_invitation(invitation)
        admin = FacilityMembership.objects.get(facility=facility, role="admin").user
        enrol_second_factor(admin_client, admin)
    return facility, admin, admin_client, submission


def add_staff(admin_client, facility, patient, capture, email, last_name="坂井"):
    """The admin registers a staff member, links them to the patient; they accept the invitation."""
    start = len(mail.outbox)
    with capture(execute=True):
        response = admin_client.post(
            f"/console/{facility.pk}/staff/add/",
            {"last_name": last_name, "first_name": "美和", "email": email, "job_title": "看護師"},
        )
    assert response.status_code == 302
    assert sent(start) == [(email, PREFIX + "利用者登録のご案内")]
    membership = FacilityMembership.objects.get(user__email=email, facility=facility)
    response = admin_client.post(
        f"/console/{facility.pk}/patients/{patient.pk}/", {"membership": membership.pk}
    )
    assert response.status_code == 302
    return accept_invitation(mail.outbox[start]), membership.user


# --- ① New team, no family ----------------------------------------------------------------


def test_flow_1_new_team_without_family(clerk, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    submission = submit("1", form_1())
    plan = clerk.preview(submission)
    assert not plan.problems
    assert any("仮登録" in c for c in plan.changes)
    start = len(mail.outbox)
    clerk.accept(submission, capture)
    facility = Facility.objects.get(code="1800000001")
    assert facility.status == FacilityStatus.PROVISIONAL
    assert facility.vpn_numbers.count() == 2  # the form asked for two VPN numbers
    assert sent(start) == [
        ("admin@naika.example.jp", PREFIX + "施設内管理者の登録（仮登録）のご案内"),
        (CONTACT, PREFIX + f"受付番号 {submission.reference}：申請を受理しました"),
    ]
    # The invitation carries a single-use link, never a password.
    assert "/accounts/invitation/" in mail.outbox[start].body

    # The admin sets a password through the link and enrols the second factor: 本登録.
    invitation = next(m for m in mail.outbox if m.to == ["admin@naika.example.jp"])
    start = len(mail.outbox)
    with capture(execute=True):
        admin_client = accept_invitation(invitation)
        assert admin_client.get("/home/")["Location"].startswith("/2fa/setup/")
        admin = FacilityMembership.objects.get(facility=facility, role="admin").user
        enrol_second_factor(admin_client, admin)
    facility.refresh_from_db()
    assert facility.status == FacilityStatus.ACTIVE
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.DONE
    assert sent(start) == [("admin@naika.example.jp", PREFIX + "本登録が完了しました")]

    # Form 5 from the facility: the patient is registered and the facility linked.
    consent = submit("5", form_5(), facility=facility, user=admin)
    start = len(mail.outbox)
    clerk.accept(consent, capture)
    patient = PatientPage.objects.get(title=PATIENT_NAME)
    assert TeamLink.objects.active().filter(patient=patient, facility=facility).exists()
    assert sent(start) == [
        ("admin@naika.example.jp", PREFIX + "患者さんのチームに登録されました"),
        (CONTACT, PREFIX + f"受付番号 {consent.reference}：申請を受理しました"),
    ]

    # The admin registers a nurse and adds her to the patient; she uses the timeline.
    nurse_client, nurse = add_staff(admin_client, facility, patient, capture, "miwa@naika.example.jp")
    assert timeline(nurse_client, patient).status_code == 200
    assert can_see(nurse, patient)
    assert not can_see(admin, patient)
    assert not can_see(clerk.user, patient)
    outsider = make_staff(FacilityFactory())
    assert not can_see(outsider, patient)
    assert_no_patient_content()


# --- ② New team with family ---------------------------------------------------------------


def test_flow_2_new_team_with_family(clerk, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    clinic = FacilityFactory(name="みまもり医院", admin_email="admin@iin.example.jp")
    admin = make_admin(clinic, email="admin@iin.example.jp")
    consent = submit("5", form_5(family_email="hanako@family.example.jp"), facility=clinic, user=admin)
    plan = clerk.preview(consent)
    assert any("長女" in c for c in plan.changes)
    start = len(mail.outbox)
    clerk.accept(consent, capture)
    patient = PatientPage.objects.get(title=PATIENT_NAME)
    family_facility = Facility.objects.get(family_of=patient)
    assert TeamLink.objects.active().filter(patient=patient, facility=family_facility).exists()
    assert sent(start) == [
        ("admin@iin.example.jp", PREFIX + "患者さんのチームに登録されました"),
        (CONTACT, PREFIX + f"受付番号 {consent.reference}：申請を受理しました"),
        ("hanako@family.example.jp", PREFIX + "利用者登録のご案内"),
    ]
    family_client = accept_invitation(next(m for m in mail.outbox if m.to == ["hanako@family.example.jp"]))
    assert timeline(family_client, patient).status_code == 200
    other = make_patient("別 患者", "べつ かんじゃ")
    assert timeline(family_client, other).status_code == 404
    assert_no_patient_content()


# --- ③ A registered service facility is added to an existing patient ------------------------


def test_flow_3_service_facility_added(clerk, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    patient = make_patient(PATIENT_NAME, "えちぜん いちろう")
    clinic = FacilityFactory(admin_email="admin@clinic.example.jp")
    make_admin(clinic, email="admin@clinic.example.jp")
    doctor = make_staff(clinic, email="doctor@clinic.example.jp")
    join_team(patient, clinic, doctor)
    station = FacilityFactory(name="みまもり訪問看護", admin_email="admin@station.example.jp")
    station_admin = make_admin(station, email="admin@station.example.jp")
    nurse = make_staff(station, email="nurse@station.example.jp")
    request = submit("8", form_8(station, patient), facility=station, patient=patient, user=station_admin)
    start = len(mail.outbox)
    clerk.accept(request, capture)
    assert TeamLink.objects.active().filter(patient=patient, facility=station).exists()
    assert sent(start) == [
        ("admin@clinic.example.jp", PREFIX + "チームに新しい施設が参加しました"),
        ("admin@station.example.jp", PREFIX + "患者さんのチームに登録されました"),
        (CONTACT, PREFIX + f"受付番号 {request.reference}：申請を受理しました"),
        ("doctor@clinic.example.jp", PREFIX + "チームに新しい施設が参加しました"),
    ]
    # The station's nurse reads once the admin links her (the facility link alone is not enough).
    assert not can_see(nurse, patient)
    MemberLink.objects.create(patient=patient, user=nurse, facility=station)
    assert can_see(nurse, patient)
    assert_no_patient_content()


# --- ④ Facility deregistration ---------------------------------------------------------------


def test_flow_4_facility_deregistration(clerk, signed_in, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    clinic = FacilityFactory(name="みまもり医院", admin_email="admin@iin.example.jp")
    make_admin(clinic, email="admin@iin.example.jp")
    doctor = make_staff(clinic, email="doctor@iin.example.jp")
    patient = make_patient(PATIENT_NAME, "えちぜん いちろう")
    join_team(patient, clinic, doctor)
    doctor_client = signed_in(doctor)
    assert timeline(doctor_client, patient).status_code == 200
    from trust.services import allocate_vpn_numbers

    allocate_vpn_numbers(clinic, 2)
    request = submit("6", {"facility_code": clinic.code, "facility_name": clinic.name, "end_date": "2026-06-30", "agree": True}, facility=clinic)
    start = len(mail.outbox)
    clerk.accept(request, capture)
    clinic.refresh_from_db()
    assert clinic.status == FacilityStatus.DEREGISTERED
    assert not TeamLink.objects.active().filter(facility=clinic).exists()
    assert not clinic.vpn_numbers.exists()  # its VPN numbers went back to the pool
    # The open session loses access on its very next request.
    assert timeline(doctor_client, patient).status_code == 404
    assert sent(start) == [
        ("admin@iin.example.jp", PREFIX + "利用解除の手続きが完了しました"),
        (CONTACT, PREFIX + f"受付番号 {request.reference}：申請を受理しました"),
        ("doctor@iin.example.jp", PREFIX + "利用解除の手続きが完了しました"),
    ]


# --- ⑤ ⑥ A new facility joins midway ------------------------------------------------------------


def _existing_team(with_family=False):
    patient = make_patient(PATIENT_NAME, "えちぜん いちろう")
    clinic = FacilityFactory(admin_email="admin@clinic.example.jp")
    make_admin(clinic, email="admin@clinic.example.jp")
    doctor = make_staff(clinic, email="doctor@clinic.example.jp")
    join_team(patient, clinic, doctor)
    pharmacy = FacilityFactory(kind="pharmacy", admin_email="admin@pharmacy.example.jp")
    make_admin(pharmacy, email="admin@pharmacy.example.jp")
    pharmacist = make_staff(pharmacy, email="yakuzai@pharmacy.example.jp", job_title="薬剤師")
    join_team(patient, pharmacy, pharmacist)
    family = make_family(patient, email="hanako@family.example.jp") if with_family else None
    return patient, doctor, pharmacist, family


@pytest.mark.parametrize("with_family", [False, True], ids=["flow5_without_family", "flow6_with_family"])
def test_flows_5_and_6_new_facility_joins_midway(clerk, with_family, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    patient, doctor, pharmacist, family = _existing_team(with_family)
    facility, admin, admin_client, _ = register_facility(
        clerk, capture, code="1800000077", email="admin@newstation.example.jp", name="新しい訪問看護"
    )
    request = submit("8", form_8(facility, patient), facility=facility, user=admin)
    plan = clerk.preview(request, patient=patient.pk)
    assert not plan.problems, plan.problems
    start = len(mail.outbox)
    clerk.accept(request, capture, patient=patient.pk)
    assert TeamLink.objects.active().filter(patient=patient, facility=facility).exists()
    joined = PREFIX + "チームに新しい施設が参加しました"
    expected = [
        ("admin@clinic.example.jp", joined),
        ("admin@newstation.example.jp", PREFIX + "患者さんのチームに登録されました"),
        ("admin@pharmacy.example.jp", joined),
        (CONTACT, PREFIX + f"受付番号 {request.reference}：申請を受理しました"),
        ("doctor@clinic.example.jp", joined),
        ("yakuzai@pharmacy.example.jp", joined),
    ]
    if with_family:
        expected.append(("hanako@family.example.jp", joined))
    assert sent(start) == sorted(expected)
    nurse_client, nurse = add_staff(admin_client, facility, patient, capture, "nurse@newstation.example.jp")
    assert timeline(nurse_client, patient).status_code == 200
    assert can_see(doctor, patient) and can_see(pharmacist, patient)
    assert_no_patient_content()


# --- ⑦ A facility leaves midway ----------------------------------------------------------------


def test_flow_7_facility_leaves_midway(clerk, signed_in, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    patient, doctor, pharmacist, family = _existing_team(with_family=True)
    pharmacy = pharmacist.memberships.get().facility
    pharmacist_client = signed_in(pharmacist)
    from timeline.models import Post

    Post.objects.create(patient=patient, author=pharmacist, facility=pharmacy, body="服薬を確認しました")
    request = submit("6", {"facility_code": pharmacy.code, "facility_name": pharmacy.name, "end_date": "2026-06-30", "agree": True}, facility=pharmacy)
    start = len(mail.outbox)
    clerk.accept(request, capture)
    left = PREFIX + "チームの施設が利用を終了しました"
    assert sent(start) == [
        ("admin@clinic.example.jp", left),
        ("admin@pharmacy.example.jp", PREFIX + "利用解除の手続きが完了しました"),
        (CONTACT, PREFIX + f"受付番号 {request.reference}：申請を受理しました"),
        ("doctor@clinic.example.jp", left),
        ("hanako@family.example.jp", left),
        ("yakuzai@pharmacy.example.jp", PREFIX + "利用解除の手続きが完了しました"),
    ]
    assert timeline(pharmacist_client, patient).status_code == 404
    assert can_see(doctor, patient) and can_see(family, patient)
    # The pharmacy's past post stays for the remaining team, marked as from a facility that left.
    page = timeline(signed_in(doctor), patient).content.decode()
    assert "服薬を確認しました" in page and f"{pharmacy.name}（利用解除済み）" in page
    assert not can_see(pharmacist, patient)
    assert_no_patient_content()


# --- ⑧ Family joins midway ----------------------------------------------------------------------


def test_flow_8_family_joins_midway(clerk, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    patient, doctor, pharmacist, _ = _existing_team()
    clinic = doctor.memberships.get().facility
    request = submit("5", form_5(team=clinic.code, family_email="jiro@family.example.jp"), facility=clinic, patient=patient)
    plan = clerk.preview(request)
    assert not plan.problems, plan.problems
    start = len(mail.outbox)
    clerk.accept(request, capture)
    assert PatientPage.objects.filter(title=PATIENT_NAME).count() == 1  # no second patient
    family_facility = Facility.objects.get(family_of=patient)
    assert TeamLink.objects.active().filter(patient=patient, facility=family_facility).exists()
    joined = PREFIX + "チームにご家族が参加しました"
    assert sent(start) == [
        ("admin@clinic.example.jp", joined),
        ("admin@pharmacy.example.jp", joined),
        (CONTACT, PREFIX + f"受付番号 {request.reference}：申請を受理しました"),
        ("doctor@clinic.example.jp", joined),
        ("jiro@family.example.jp", PREFIX + "利用者登録のご案内"),
        ("yakuzai@pharmacy.example.jp", joined),
    ]
    family_client = accept_invitation(next(m for m in mail.outbox if m.to == ["jiro@family.example.jp"]))
    assert timeline(family_client, patient).status_code == 200
    assert_no_patient_content()


# --- ⑨ A family member leaves midway ----------------------------------------------------------------


def test_flow_9_last_family_member_leaves(clerk, signed_in, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    patient, doctor, pharmacist, family = _existing_team(with_family=True)
    family_facility = Facility.objects.get(family_of=patient)
    family_client = signed_in(family)
    assert timeline(family_client, patient).status_code == 200
    start = len(mail.outbox)
    with capture(execute=True):
        response = clerk.client.post(f"/admin/review/family/{patient.pk}/", {"user": family.pk}, follow=True)
    assert "一覧に表示されなくなります" in " ".join(messages_of(response))
    family.refresh_from_db()
    assert not family.is_active
    # Signed out: the open session is gone, and signing in again fails.
    assert family_client.get(f"/network/patients/{patient.slug}/")["Location"].startswith("/accounts/login/")
    assert Client().post("/accounts/login/", {"username": family.email, "password": "Test-password-2026"}).status_code == 200
    # The family's timeline leaves the lists; the team keeps the patient and its data.
    assert not TeamLink.objects.active().filter(patient=patient, facility=family_facility).exists()
    assert can_see(doctor, patient) and can_see(pharmacist, patient)
    left = PREFIX + "ご家族の利用を解除しました"
    assert sent(start) == [
        ("admin@clinic.example.jp", left),
        ("admin@pharmacy.example.jp", left),
        ("doctor@clinic.example.jp", left),
        ("hanako@family.example.jp", PREFIX + "みまもりSNSの利用を解除しました"),
        ("yakuzai@pharmacy.example.jp", left),
    ]
    assert_no_patient_content()


def test_flow_9_with_two_family_members_the_family_stays(clerk, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    patient, doctor, _, family = _existing_team(with_family=True)
    second = make_family(patient, relation="長男", email="jiro@family.example.jp")
    family_facility = Facility.objects.get(family_of=patient)
    with capture(execute=True):
        clerk.client.post(f"/admin/review/family/{patient.pk}/", {"user": family.pk})
    family.refresh_from_db()
    assert not family.is_active
    assert TeamLink.objects.active().filter(patient=patient, facility=family_facility).exists()
    assert can_see(second, patient) and not can_see(family, patient)


# --- ⑪ Facility data change ----------------------------------------------------------------------


def test_flow_11_facility_change_keeps_the_ten_digit_code(clerk, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    patient, doctor, _, _ = _existing_team()
    clinic = doctor.memberships.get().facility
    code = clinic.code
    request = submit(
        "3",
        {"facility_code": code, "facility_name": clinic.name, "change_items": "名称", "before": clinic.name, "after": "みまもり新クリニック", "change_date": "2026-07-01"},
        facility=clinic,
    )
    fields = {f"f-{name}": getattr(clinic, name) for name in ("code", "name", "name_kana", "postal_code", "address", "phone", "fax", "representative", "admin_email")}
    # A 9-digit code is refused with a clear message and nothing changes.
    plan = clerk.preview(request, **{**fields, "f-code": code[:9]})
    assert any("10桁" in p for p in plan.problems)
    response = clerk.accept(request, capture, **{**fields, "f-code": code[:9]})
    assert any("10桁" in m for m in messages_of(response))
    clinic.refresh_from_db()
    assert clinic.code == code and Submission.objects.get(pk=request.pk).status == SubmissionStatus.RECEIVED

    start = len(mail.outbox)
    response = clerk.accept(request, capture, **{**fields, "f-name": "みまもり新クリニック"})
    assert messages_of(response) == ["受理し、登録に反映しました。"]
    clinic.refresh_from_db()
    assert clinic.name == "みまもり新クリニック"
    assert clinic.code == code and len(clinic.code) == 10 and clinic.code.isdigit()
    assert can_see(doctor, patient)
    assert sent(start) == [
        ("admin@clinic.example.jp", PREFIX + "登録内容の変更が完了しました"),
        (CONTACT, PREFIX + f"受付番号 {request.reference}：申請を受理しました"),
    ]


# --- ⑩ Consent withdrawal ----------------------------------------------------------------------------


def test_flow_10_consent_withdrawal(clerk, signed_in, django_capture_on_commit_callbacks):
    from erasure.models import Tombstone
    from timeline.models import Post

    capture = django_capture_on_commit_callbacks
    patient, doctor, pharmacist, family = _existing_team(with_family=True)
    clinic = doctor.memberships.get().facility
    Post.objects.create(patient=patient, author=doctor, facility=clinic, body="訪問しました")
    doctor_client = signed_in(doctor)
    slug = patient.slug
    request = submit(
        "7",
        {"withdrawal_date": "2026-08-01", "patient_name": PATIENT_NAME, "patient_name_kana": "エチゼン イチロウ",
         "patient_birth_date": "1940-05-05", "requester": "self", "doctor_name": "医師 一"},
        facility=clinic,
        patient=patient,
    )
    plan = clerk.preview(request)
    assert not plan.problems, plan.problems
    assert any("すべて削除" in c for c in plan.changes)
    start = len(mail.outbox)
    clerk.accept(request, capture)
    assert not PatientPage.objects.filter(pk=patient.pk).exists()
    assert not Post.objects.exists()
    assert not TeamLink.objects.filter(patient_id=patient.pk).exists()
    assert Tombstone.objects.get().reference == request.reference
    kept = Submission.objects.get(pk=request.pk)  # the withdrawal record stays
    assert kept.status == SubmissionStatus.ACCEPTED and kept.patient_id is None
    assert doctor_client.get(f"/network/patients/{slug}/").status_code == 404
    withdrawn = PREFIX + "同意撤回により患者さんのチームを終了しました"
    certificate = PREFIX + "削除証明書（同意撤回）"
    assert sent(start) == sorted([
        ("admin@clinic.example.jp", withdrawn),
        ("admin@clinic.example.jp", certificate),
        ("admin@pharmacy.example.jp", withdrawn),
        ("admin@pharmacy.example.jp", certificate),
        (CONTACT, PREFIX + f"受付番号 {request.reference}：申請を受理しました"),
        ("doctor@clinic.example.jp", withdrawn),
        ("hanako@family.example.jp", withdrawn),
        ("jimukyoku@med.example.jp", certificate),
        ("yakuzai@pharmacy.example.jp", withdrawn),
    ])
    assert_no_patient_content()
