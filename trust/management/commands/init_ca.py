"""Create the network's CA (once). The key is encrypted with MIMAMORI_CA_KEY_PASSPHRASE."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from trust import ca


class Command(BaseCommand):
    help = "認証局（CA）を作成し、CA証明書と失効リスト（CRL）を書き出します。"

    def add_arguments(self, parser):
        parser.add_argument("--cert-out", help="CA証明書（PEM）の書き出し先（nginx の ssl_client_certificate）")

    def handle(self, *args, **options):
        try:
            authority = ca.init_ca()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options.get("cert_out"):
            Path(options["cert_out"]).write_text(authority.certificate_pem)
            self.stdout.write(f"CA証明書: {options['cert_out']}")
        self.stdout.write(self.style.SUCCESS("認証局を作成しました。"))
