"""Benchmark of the audit log (``audit``): what recording costs a request, and how long
``verify_audit_log`` takes for 1,000,000 entries.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python bench/audit.py

It builds its own SQLite database in a fresh temporary directory (never
``var/mimamori.sqlite3``) and migrates it (with the append-only triggers). Then

1. it times two kinds of request through ``django.test.Client``, with the audit log on
   and with ``audit.log.record`` replaced by a no-op: opening a patient's timeline (one
   read entry) and posting to it (one write entry from the middleware). The two modes
   alternate in blocks so that load on the machine hits both alike; p50/p95 and the
   difference of the p95s are reported, and ``record()`` alone is timed too;
2. it bulk-builds a valid hash chain of 1,000,000 entries (hashes computed in Python,
   rows inserted in batches), times ``manage.py verify_audit_log`` on it, and checks that
   the chain verifies clean.

Prints a table and writes ``bench/results/audit.json`` (with the load average at start
and end: figures taken on a shared machine vary with it). Exit status non-zero if the
chain does not verify or the record count is wrong.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.common import setup_django, summary, time_calls  # noqa: E402

RESULTS = REPO / "bench" / "results" / "audit.json"
BLOCK = 20


def source_state():
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        head = subprocess.run(  # noqa: S603 (fixed arguments)
            [git, "--no-optional-locks", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = "unknown"
    return head


def build_team():
    from network import services
    from network.models import Facility, FacilityKind, MembershipRole, PatientsIndexPage

    clinic = Facility.objects.create(kind=FacilityKind.MEDICAL, code="9000000001", name="ベンチ医院",
                                     name_kana="べんちいいん")
    nurse = services.create_user("bench-nurse@example.jp", "看護", "花子", password="Bench-password-2026")
    services.add_membership(nurse, clinic, MembershipRole.STAFF, job_title="看護師")
    patient = services.create_patient(PatientsIndexPage.objects.get(), "ベンチ 患者", "べんち かんじゃ")
    services.link_facility(patient, clinic)
    services.link_member(patient, nurse, clinic)
    return nurse, patient


def measure_requests(nurse, patient, n):
    from django.test import Client

    from audit import log
    from audit.models import AuditEntry

    client = Client()
    response = client.post("/accounts/login/", {"username": nurse.email, "password": "Bench-password-2026"})
    assert response.status_code == 302, response.status_code
    real_record = log.record

    def off(*args, **kwargs):
        return None

    kinds = {
        "timeline_read": lambda: client.get(patient.url),
        "post_write": lambda: client.post(patient.url, {"body": "ベンチマークの投稿"}),
    }
    out = {}
    for name, call in kinds.items():
        for _ in range(5):  # warm-up
            call()
        on_ns, off_ns = [], []
        before = AuditEntry.objects.count()
        for block in range(0, n, BLOCK):
            count = min(BLOCK, n - block)
            log.record = real_record
            on_ns += [ns for ns, response in time_calls([call] * count)]
            log.record = off
            off_ns += [ns for ns, response in time_calls([call] * count)]
        log.record = real_record
        recorded = AuditEntry.objects.count() - before
        on, without = summary(on_ns), summary(off_ns)
        out[name] = {
            "requests_each": n,
            "with_audit_ms": on,
            "without_audit_ms": without,
            "p95_overhead_ms": on["p95"] - without["p95"],
            "p50_overhead_ms": on["p50"] - without["p50"],
            "entries_written": recorded,
        }
    direct = [ns for ns, entry in time_calls([lambda: log.record("bench.direct", actor=nurse)] * n)]
    out["record_call_alone_ms"] = summary(direct)
    return out


def build_chain(n, batch=10_000):
    """A valid chain of ``n`` entries, hashed in Python and inserted in batches."""
    from django.db import transaction

    from audit.log import GENESIS, chain_hash
    from audit.models import AuditEntry, ChainHead

    AuditEntry.objects.all()  # the table is empty apart from what set-up wrote
    last = ChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first() or GENESIS
    rng = random.Random(8)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    actions = ["timeline.read", "attachment.read", "post.create", "auth.login", "denied", "admin.view"]
    built = 0
    while built < n:
        rows = []
        for i in range(built, min(n, built + batch)):
            values = {
                "created_at": start + timedelta(seconds=i),
                "actor_id": rng.randrange(1, 3000),
                "actor_email": f"user{i % 3000}@example.jp",
                "facility_id": rng.randrange(1, 400),
                "role": "staff",
                "action": actions[i % len(actions)],
                "target_type": "PatientPage",
                "target_id": str(rng.randrange(1, 5000)),
                "patient_id": rng.randrange(1, 5000),
                "decision": "allowed" if i % 50 else "denied",
                "address": f"10.0.{i % 250}.{i % 200 + 1}",
                "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
                "request_id": f"{i:032x}",
                "disaster_mode": False,
                "detail": {"job_title": "看護師"},
            }
            entry_hash = chain_hash(last, values)
            rows.append(AuditEntry(prev_hash=last, entry_hash=entry_hash, **values))
            last = entry_hash
        with transaction.atomic():
            AuditEntry.objects.bulk_create(rows, batch_size=2000)
        built += len(rows)
    ChainHead.objects.update_or_create(pk=1, defaults={"last_hash": last})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    results = {"load_start": os.getloadavg(), "cpu_count": os.cpu_count(), "git_commit": source_state()}
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-audit-") as tmp:
        setup_django(tmp)
        from django.conf import settings
        from django.core.management import call_command

        settings.RATE_LIMITS = []  # the benchmark posts far faster than a person

        call_command("migrate", interactive=False, verbosity=0)
        nurse, patient = build_team()
        results["requests"] = measure_requests(nurse, patient, args.requests)

        from audit.log import verify_report
        from audit.models import AuditEntry

        existing = AuditEntry.objects.count()
        started = time.perf_counter()
        build_chain(args.entries)
        results["chain_build_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        call_command("verify_audit_log", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        results["verify_command_seconds"] = time.perf_counter() - started
        cpu = time.process_time()
        report = verify_report()
        results["verify_cpu_seconds"] = time.process_time() - cpu
        results["entries_verified"] = report["checked"]
        ok = report["checked"] == existing + args.entries and not report["altered"] and not report["broken_links"] and report["head"]
        results["chain_intact"] = ok
        results["database_bytes"] = Path(tmp, "bench.sqlite3").stat().st_size
    results["load_end"] = os.getloadavg()
    results["note"] = "SQLite, 2 shared cores; figures taken while other work ran on the machine (see load averages)."
    r = results["requests"]
    print("audit log benchmark (SQLite)")
    for name in ("timeline_read", "post_write"):
        m = r[name]
        print(
            f"  {name:14s} p95 with {m['with_audit_ms']['p95']:7.2f} ms, without {m['without_audit_ms']['p95']:7.2f} ms,"
            f" overhead p95 {m['p95_overhead_ms']:+6.2f} ms, p50 {m['p50_overhead_ms']:+6.2f} ms"
            f" ({m['entries_written']} entries for {2 * m['requests_each']} requests)"
        )
    print(f"  record() alone p50 {r['record_call_alone_ms']['p50']:.2f} ms, p95 {r['record_call_alone_ms']['p95']:.2f} ms")
    print(f"  chain of {args.entries:,} built in {results['chain_build_seconds']:.1f} s")
    print(f"  verify_audit_log on {results['entries_verified']:,} entries: {results['verify_command_seconds']:.1f} s"
          f" (CPU {results['verify_cpu_seconds']:.1f} s), intact: {ok}")
    print(f"  load average start {results['load_start'][0]:.2f}, end {results['load_end'][0]:.2f}")
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
