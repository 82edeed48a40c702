"""The secretariat withdraws a patient's consent in the admin with a real browser."""

import re

import pytest
from playwright.sync_api import expect

from erasure.models import Tombstone
from network.models import PatientPage
from tests.conftest import current_code
from tests.e2e.test_sign_in_flows import log_in
from tests.factories import (
    FacilityFactory,
    join_team,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_secretariat_withdraws_consent_and_gets_the_certificate(site, page, shot, settings, tmp_path):
    settings.ERASURE_JOURNAL_PATH = tmp_path / "journal.jsonl"
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    nurse = make_staff(station)
    patient = make_patient("越前 一郎", "えちぜん いちろう")
    join_team(patient, station, nurse)
    secretariat = make_secretariat(email="office@example.jp")
    device = totp_device(secretariat)

    log_in(page, site, "office@example.jp")
    page.get_by_label("確認コード").fill(current_code(device))
    page.get_by_role("button", name="確認").click()
    page.goto(f"{site}/admin/patients/")
    page.get_by_role("link", name="同意撤回による削除").click()
    expect(page).to_have_url(f"{site}/admin/erasure/withdraw/{patient.patient_id}/")
    expect(page.get_by_text("越前 一郎")).to_be_visible()
    page.get_by_role("button", name="同意撤回による削除を実行する").click()
    expect(page.get_by_text("削除の確認にチェックを入れてください。")).to_be_visible()
    shot(page, "erasure-01-confirm-errors")

    page.get_by_label("受付番号（様式7 同意撤回書）").fill("R8-0041")
    page.get_by_label(re.compile("元に戻せないことを確認しました")).check()
    page.get_by_role("button", name="同意撤回による削除を実行する").click()
    expect(page).to_have_url(f"{site}/admin/erasure/certificates/")
    expect(page.get_by_text("同意撤回による削除が完了しました。")).to_be_visible()
    expect(page.get_by_role("cell", name="R8-0041")).to_be_visible()
    shot(page, "erasure-02-certificates")
    assert not PatientPage.objects.filter(pk=patient.pk).exists()
    tombstone = Tombstone.objects.get()
    with page.expect_download() as download:
        page.get_by_role("link", name="削除証明書（PDF）").click()
    assert download.value.suggested_filename == f"deletion-certificate-{tombstone.id}.pdf"
