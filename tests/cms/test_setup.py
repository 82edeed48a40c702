"""Settings, the embedded database and the demo data."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

import pytest

from network.models import Facility, FacilityMembership, MemberLink, PatientPage, TeamLink

ROOT = Path(__file__).resolve().parents[2]


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "ja"
    assert [code for code, _name in settings.LANGUAGES] == ["ja", "en"]
    assert settings.TIME_ZONE == "Asia/Tokyo"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite pragmas")
def test_sqlite_uses_wal_and_secure_delete():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() == "wal"


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.production"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_are_safe_by_default():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="cms.settings.production", SECRET_KEY="x" * 50)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["False", "[]", "True", "True", "True"], result.stderr


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    counts = [m.objects.count() for m in (Facility, FacilityMembership, TeamLink, MemberLink, PatientPage)]
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert [m.objects.count() for m in (Facility, FacilityMembership, TeamLink, MemberLink, PatientPage)] == counts
    # 4 facilities + 1 family facility; secretariat, 4 admins, 8 staff, 2 family
    assert counts[0] == 5 and counts[4] == 3


@pytest.mark.django_db
def test_seed_demo_leaves_two_forms_in_the_review_inbox_once():
    from forms.models import Submission

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    forms = {s.form_number: s for s in Submission.objects.all()}
    assert sorted(forms) == ["1", "8"]
    assert forms["1"].data["facility_name"] == "みどり歯科クリニック" and forms["1"].facility is None
    assert forms["8"].data["patient_name"] == "若狭 ミツ"
    assert forms["8"].facility.name == "みまもり在宅クリニック"


@pytest.mark.django_db
def test_seed_demo_teams_differ_and_family_sees_only_their_patient():
    from django.contrib.auth import get_user_model

    from network import access

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    User = get_user_model()
    doctor = User.objects.get(email="clinic-doctor@demo.mimamori.example")
    family = User.objects.get(email="family-1@demo.mimamori.example")
    assert sorted(p.title for p in access.visible_patients(doctor)) == ["福井 トメ", "越前 一郎"]
    assert [p.title for p in access.visible_patients(family)] == ["福井 トメ"]


def test_public_home_page_shows_no_patient(client, db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    body = client.get("/").content.decode()
    assert "みまもりSNS" in body
    for patient in PatientPage.objects.all():
        assert patient.title not in body


@pytest.mark.django_db(transaction=True)
def test_page_tree_and_secretariat_group_survive_a_flush():
    """Transactional tests flush the database; post_migrate rebuilds the skeleton every time."""
    from django.contrib.auth.models import Group

    from wagtail.models import Site

    from network.access import SECRETARIAT_GROUP
    from network.models import PatientsIndexPage

    assert PatientsIndexPage.objects.count() == 1
    assert Site.objects.get(is_default_site=True).root_page.specific_class.__name__ == "HomePage"
    assert Group.objects.get(name=SECRETARIAT_GROUP).permissions.filter(codename="access_admin").exists()
