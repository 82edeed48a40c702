"""Fee rules as data: the guide's seven rows, looked up per facility."""

import datetime

import pytest

from billing.fees import monthly_fee
from billing.models import FeeRule, KindGroup

pytestmark = pytest.mark.django_db


def test_the_guides_seven_rows_are_seeded():
    rows = [(r.kind_group, r.medical_net, r.sns, r.monthly_fee) for r in FeeRule.objects.all()]
    assert rows == [
        ("medical", True, True, 3000),
        ("medical", True, False, 3000),
        ("medical", False, True, 1000),
        ("service", True, True, 1000),
        ("service", True, False, 1000),
        ("service", False, True, 500),
        ("free", None, True, 0),
    ]


@pytest.mark.parametrize(
    "kind,net,sns,fee",
    [
        ("medical", True, True, 3000),
        ("dental", False, True, 1000),
        ("pharmacy", True, False, 3000),
        ("visiting_nurse", False, True, 500),
        ("home_care_support", True, True, 1000),
        ("other_service", False, True, 500),
        ("family", False, True, 0),
        ("free", True, True, 0),
    ],
)
def test_monthly_fee_per_facility_kind(kind, net, sns, fee):
    assert monthly_fee(kind, net, sns) == fee


def test_the_secretariat_changes_a_fee_and_the_lookup_follows():
    rule = FeeRule.objects.get(kind_group=KindGroup.SERVICE, medical_net=False, sns=True)
    rule.monthly_fee = 600
    rule.save()
    assert monthly_fee("visiting_nurse", False) == 600


def test_rules_outside_their_period_do_not_apply():
    FeeRule.objects.filter(kind_group=KindGroup.MEDICAL, medical_net=False).update(
        valid_until=datetime.date(2025, 3, 31)
    )
    assert monthly_fee("medical", False, date=datetime.date(2026, 4, 1)) is None
    assert monthly_fee("medical", False, date=datetime.date(2025, 3, 1)) == 1000


def test_secretariat_may_edit_fee_rules_in_the_admin(signed_in):
    from tests.factories import make_secretariat, totp_device

    user = make_secretariat()
    totp_device(user)
    assert user.has_perm("billing.change_feerule")
    client = signed_in(user)
    response = client.get("/admin/snippets/billing/feerule/")
    assert response.status_code == 200
    assert "3,000円/月" in response.content.decode()
