"""manage.py withdraw_consent <patient-uuid> --reference R8-0012 [--by email] [--reason ...]"""

import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from erasure.models import Tombstone, patient_digest
from erasure.services import WithdrawalError, withdraw_consent
from network import access
from network.models import PatientPage


class Command(BaseCommand):
    help = "同意撤回（様式7）：患者とそのタイムラインのすべての記録を削除し、削除証明書を送ります。"

    def add_arguments(self, parser):
        parser.add_argument("patient_id", help="患者ID（UUID）")
        parser.add_argument("--reference", required=True, help="様式7の受付番号")
        parser.add_argument("--reason", default="", help="区分（個人情報は書かない）")
        parser.add_argument("--by", default="", help="実行する事務局員のメールアドレス")
        parser.add_argument("--no-mail", action="store_true", help="削除証明書をメールで送らない")

    def handle(self, *args, **options):
        try:
            patient_id = uuid.UUID(options["patient_id"])
        except ValueError as exc:
            raise CommandError("患者ID（UUID）の形式が正しくありません。") from exc
        by = None
        if options["by"]:
            by = get_user_model().objects.filter(email__iexact=options["by"].strip()).first()
            if by is None or not access.is_secretariat(by):
                raise CommandError("--by には事務局員のメールアドレスを指定してください。")
        patient = PatientPage.objects.filter(patient_id=patient_id).first()
        if patient is None:
            tombstone = Tombstone.objects.filter(patient_digest=patient_digest(patient_id)).first()
            if tombstone is not None:
                raise CommandError(
                    f"この患者の同意撤回はすでに完了しています（削除証明書番号 {tombstone.id}）。"
                    "何も変更していません。"
                )
            raise CommandError("この患者IDの患者は見つかりません。")
        try:
            tombstone = withdraw_consent(
                patient,
                by=by,
                reference=options["reference"],
                reason=options["reason"],
                deliver=not options["no_mail"],
            )
        except WithdrawalError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"削除しました。削除証明書番号 {tombstone.id}")
        for key, value in tombstone.counts.items():
            self.stdout.write(f"  {key}: {value}")
