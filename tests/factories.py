"""factory_boy factories and small builders over the real services (no mocked permissions)."""

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from network import services
from network.access import SECRETARIAT_GROUP
from network.models import (
    Facility,
    FacilityKind,
    FacilityStatus,
    MembershipRole,
    PatientsIndexPage,
)

PASSWORD = "Test-password-2026"
_codes = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    last_name = factory.Sequence(lambda n: f"利用者{n}")
    first_name = "太郎"
    last_name_kana = factory.Sequence(lambda n: f"りようしゃ{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    kind = FacilityKind.MEDICAL
    code = factory.LazyFunction(lambda: f"{9000000000 + next(_codes):010d}")
    name = factory.Sequence(lambda n: f"テスト診療所{n}")
    name_kana = factory.Sequence(lambda n: f"てすとしんりょうじょ{n}")
    status = FacilityStatus.ACTIVE


def totp_device(user):
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def make_secretariat(**kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=SECRETARIAT_GROUP))
    return user


def make_admin(facility, **kwargs):
    user = UserFactory(**kwargs)
    services.add_membership(user, facility, MembershipRole.ADMIN)
    return user


def make_staff(facility, job_title="看護師", **kwargs):
    user = UserFactory(**kwargs)
    services.add_membership(user, facility, MembershipRole.STAFF, job_title=job_title)
    return user


def make_patient(name="患者 テスト", kana="かんじゃ てすと", **fields):
    return services.create_patient(PatientsIndexPage.objects.get(), name, kana, **fields)


def join_team(patient, facility, *members):
    """Link ``facility`` to ``patient`` and each member (a user of that facility) to the patient."""
    services.link_facility(patient, facility)
    for member in members:
        services.link_member(patient, member, facility)


def make_family(patient, relation="長女", **kwargs):
    user = UserFactory(**kwargs)
    services.add_family_member(patient, user, relation)
    return user
