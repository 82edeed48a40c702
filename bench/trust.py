"""Benchmark of the network's CA: certificate issuance and CRL regeneration.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python bench/trust.py

It builds its own SQLite database in a fresh temporary directory, migrates it, creates
the CA, and times

* ``trust.ca.issue_client_certificate`` (new P-256 key, signed certificate, AES-256
  PKCS#12 bundle, one row) for 100 certificates, and
* ``trust.ca.regenerate_crl`` with 10,000 revoked certificates in the database (the
  rows are bulk-inserted with random serials; every one must appear in the CRL),

checks the CRL (signature, count, one serial looked up), prints the figures against the
targets and writes ``bench/results/trust.json`` with the load average: the machine may
be shared, so wall time is given next to CPU time.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.common import setup_django, summary, time_calls  # noqa: E402

RESULTS = REPO / "bench" / "results" / "trust.json"

ISSUE_P95_TARGET_MS = 250.0
CRL_10K_TARGET_MS = 3000.0
N_ISSUE = 100
N_REVOKED = 10_000
CRL_ROUNDS = 3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-db", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    tmp_dir = tempfile.mkdtemp(prefix="mimamori-bench-")
    os.environ.setdefault("MIMAMORI_CA_KEY_PASSPHRASE", "bench-only-passphrase")
    os.environ["MIMAMORI_CRL_FILE"] = str(Path(tmp_dir) / "crl.pem")
    try:
        db_path = setup_django(tmp_dir)
        from django.core.management import call_command
        from django.utils import timezone

        from cryptography import x509

        from tests.factories import FacilityFactory, UserFactory
        from trust import ca
        from trust.models import DeviceCertificate

        print(f"database: {db_path}")
        call_command("migrate", interactive=False, verbosity=0)
        authority = ca.init_ca()
        facility = FacilityFactory()
        users = [UserFactory() for _ in range(10)]

        # (a) issuance
        cpu = []
        issued = time_calls(
            [
                (lambda i=i: ca.issue_client_certificate(users[i % 10], f"端末{i}", facility=facility))
                for i in range(N_ISSUE)
            ],
            cpu_out=cpu,
        )
        issue = summary([ns for ns, _ in issued])
        issue_cpu = summary(cpu)

        # (b) CRL with 10,000 revoked certificates
        now = timezone.now()
        template = issued[0][1][0]
        rows = [
            DeviceCertificate(
                user=users[i % 10],
                facility=facility,
                device_name=f"失効端末{i}",
                serial_number=str(x509.random_serial_number()),
                subject=template.subject,
                fingerprint_sha256="0" * 64,
                certificate_pem="",
                not_before=now - timedelta(days=30),
                not_after=now + timedelta(days=335),
                revoked_at=now - timedelta(minutes=i % 600),
            )
            for i in range(N_REVOKED)
        ]
        DeviceCertificate.objects.bulk_create(rows, batch_size=1000)
        crl_cpu = []
        crl_times = time_calls([ca.regenerate_crl for _ in range(CRL_ROUNDS)], cpu_out=crl_cpu)
        crl_ms = [ns / 1e6 for ns, _ in crl_times]
        authority = crl_times[-1][1]
        crl = x509.load_der_x509_crl(bytes(authority.crl_der))
        ca_cert = ca.ca_certificate(authority)
        count_ok = len(crl) == N_REVOKED
        signature_ok = crl.is_signature_valid(ca_cert.public_key())
        lookup_ok = crl.get_revoked_certificate_by_serial_number(int(rows[1234].serial_number)) is not None
        load = os.getloadavg()

        result = {
            "issue_ms": issue,
            "issue_cpu_ms": issue_cpu,
            "issue_samples": N_ISSUE,
            "crl_revoked": N_REVOKED,
            "crl_ms": {"runs": crl_ms, "best": min(crl_ms), "worst": max(crl_ms)},
            "crl_cpu_ms": [ns / 1e6 for ns in crl_cpu],
            "crl_pem_bytes": len(authority.crl_pem),
            "crl_der_bytes": len(bytes(authority.crl_der)),
            "checks": {"count": count_ok, "signature": signature_ok, "lookup": lookup_ok},
            "targets": {"issue_p95_ms": ISSUE_P95_TARGET_MS, "crl_10k_ms": CRL_10K_TARGET_MS},
            "loadavg": load,
            "cpu_count": os.cpu_count(),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

        print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
        print(f"{'measure':<44}{'p50':>10}{'p95':>10}{'max':>10}{'target':>10}{'ratio':>8}")
        print(
            f"{'issue certificate + PKCS#12 (wall ms)':<44}{issue['p50']:>10.1f}{issue['p95']:>10.1f}"
            f"{issue['max']:>10.1f}{ISSUE_P95_TARGET_MS:>10.0f}{issue['p95'] / ISSUE_P95_TARGET_MS:>8.2f}"
        )
        print(
            f"{'issue certificate + PKCS#12 (CPU ms)':<44}{issue_cpu['p50']:>10.1f}{issue_cpu['p95']:>10.1f}"
            f"{issue_cpu['max']:>10.1f}"
        )
        worst = max(crl_ms)
        print(
            f"{'CRL with 10,000 revoked (wall ms, worst of 3)':<44}{min(crl_ms):>10.1f}{'':>10}"
            f"{worst:>10.1f}{CRL_10K_TARGET_MS:>10.0f}{worst / CRL_10K_TARGET_MS:>8.2f}"
        )
        print(f"CRL size: {result['crl_der_bytes']:,} bytes DER, {result['crl_pem_bytes']:,} bytes PEM")
        print(f"checks: {result['checks']}")
        print(f"written: {RESULTS.relative_to(REPO)}")
        ok = (
            all(result["checks"].values())
            and issue["p95"] <= ISSUE_P95_TARGET_MS
            and worst <= CRL_10K_TARGET_MS
        )
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep_db:
            print(f"database kept in {tmp_dir}")
        else:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
