"""Facility codes and the admin-e-mail rule: clear messages, nothing half-saved."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from network import services
from network.models import Facility, FacilityKind, FacilityMembership, MembershipRole
from network.validators import normalize_facility_code, validate_facility_code
from tests.factories import (
    FacilityFactory,
    UserFactory,
    make_admin,
    make_secretariat,
    make_staff,
    totp_device,
)

FULLWIDTH = "０１２３４５６７８９"


@given(st.lists(st.integers(0, 9), min_size=10, max_size=10), st.lists(st.booleans(), min_size=10, max_size=10))
def test_any_mix_of_full_and_half_width_digits_normalises(digits, wide):
    raw = "".join(FULLWIDTH[d] if w else str(d) for d, w in zip(digits, wide, strict=True))
    assert normalize_facility_code(raw) == "".join(map(str, digits))
    validate_facility_code(raw)


@given(st.text(min_size=1, max_size=14).filter(lambda s: not normalize_facility_code(s).isascii() or not normalize_facility_code(s).isdigit() or len(normalize_facility_code(s)) != 10))
def test_anything_but_ten_digits_is_rejected(raw):
    with pytest.raises(ValidationError):
        validate_facility_code(raw)


@pytest.mark.parametrize(
    "raw",
    ["123456789", "12345678901", "1234-567890", "12345６789a", "١٢٣٤٥٦٧٨٩٠", "１２３４５ ６７８９０", ""],
)
@pytest.mark.django_db
def test_bad_code_is_refused_with_a_message_and_nothing_saved(raw):
    before = Facility.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.save_facility(Facility(kind=FacilityKind.MEDICAL, code=raw, name="誤入力医院"))
    assert "10桁" in " ".join(exc.value.messages)
    assert Facility.objects.count() == before


@pytest.mark.django_db
def test_fullwidth_code_is_stored_as_ascii():
    facility = services.save_facility(
        Facility(kind=FacilityKind.PHARMACY, code="１８４０１２３４５６", name="全角薬局")
    )
    facility.refresh_from_db()
    assert facility.code == "1840123456"


@pytest.mark.django_db
def test_family_facility_needs_no_code_but_others_do():
    with pytest.raises(ValidationError) as exc:
        services.save_facility(Facility(kind=FacilityKind.VISITING_NURSE, code="", name="番号なし"))
    assert "事業所番号" in " ".join(exc.value.messages)


@pytest.mark.django_db
def test_duplicate_code_is_refused():
    FacilityFactory(code="1810000099")
    with pytest.raises(ValidationError):
        services.save_facility(Facility(kind=FacilityKind.MEDICAL, code="1810000099", name="重複"))


@pytest.mark.django_db
def test_admin_cannot_also_be_staff():
    clinic = FacilityFactory()
    admin = make_admin(clinic)
    with pytest.raises(ValidationError) as exc:
        services.add_membership(admin, FacilityFactory(), MembershipRole.STAFF)
    assert "利用者として登録することはできません" in " ".join(exc.value.messages)
    assert FacilityMembership.objects.filter(user=admin).count() == 1


@pytest.mark.django_db
def test_staff_cannot_become_an_admin():
    staff = make_staff(FacilityFactory())
    with pytest.raises(ValidationError):
        services.add_membership(staff, FacilityFactory(), MembershipRole.ADMIN)
    assert FacilityMembership.objects.filter(user=staff).count() == 1


@pytest.mark.django_db
def test_facility_admin_email_cannot_be_a_staff_users_email():
    staff = make_staff(FacilityFactory())
    with pytest.raises(ValidationError) as exc:
        services.save_facility(
            Facility(kind=FacilityKind.MEDICAL, code="1810000777", name="新規医院", admin_email=staff.email)
        )
    assert "admin_email" in exc.value.message_dict
    assert not Facility.objects.filter(code="1810000777").exists()


@pytest.mark.django_db
def test_console_refuses_the_admin_login_email_as_a_new_staff_member(signed_in):
    clinic = FacilityFactory(admin_email="kanri@clinic.example.jp")
    admin = make_admin(clinic, email="kanri@clinic.example.jp")
    totp_device(admin)
    client = signed_in(admin)
    users_before = get_user_model().objects.count()
    response = client.post(
        f"/console/{clinic.pk}/staff/add/",
        {"last_name": "福井", "first_name": "太郎", "email": "KANRI@clinic.example.jp", "job_title": "医師"},
    )
    assert response.status_code == 200
    assert "管理画面ログイン用です。利用者として登録することはできません" in response.content.decode()
    assert get_user_model().objects.count() == users_before


@pytest.mark.django_db
def test_secretariat_creating_a_facility_with_a_bad_code_in_the_admin_sees_the_message(signed_in):
    secretariat = make_secretariat()
    totp_device(secretariat)
    client = signed_in(secretariat)
    response = client.post(
        "/admin/snippets/network/facility/add/",
        {"kind": "medical", "code": "12345", "name": "誤入力クリニック", "status": "provisional"},
    )
    assert response.status_code == 200
    assert "10桁の数字" in response.content.decode()
    assert not Facility.objects.filter(name="誤入力クリニック").exists()


@pytest.mark.django_db
def test_secretariat_creates_a_facility_in_the_admin_with_a_fullwidth_code(signed_in):
    secretariat = make_secretariat()
    totp_device(secretariat)
    client = signed_in(secretariat)
    response = client.post(
        "/admin/snippets/network/facility/add/",
        {"kind": "medical", "code": "１８１０５５５５５５", "name": "全角クリニック", "status": "provisional"},
    )
    assert response.status_code == 302
    facility = Facility.objects.get(name="全角クリニック")
    assert facility.code == "1810555555"
    from reversion.models import Version

    assert Version.objects.get_for_object(facility).count() == 1


@pytest.mark.django_db
def test_secretariat_exports_facilities_as_csv(signed_in):
    FacilityFactory(name="エクスポート医院", code="1810000123")
    secretariat = make_secretariat()
    totp_device(secretariat)
    response = signed_in(secretariat).get("/admin/snippets/network/facility/?export=csv")
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else response.content.decode()
    assert "エクスポート医院" in content and "1810000123" in content


@pytest.mark.django_db
def test_user_emails_are_unique_case_insensitively():
    UserFactory(email="same@example.jp")
    with pytest.raises(ValidationError):
        services.create_user("SAME@example.jp", "重複", "太郎")
