"""Benchmark of English against Japanese: what the translation layer costs per page.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python bench/i18n.py

It builds its own SQLite database in a fresh temporary directory (never
``var/mimamori.sqlite3``), migrates it and creates, through the real services, one
patient with a 30-post timeline (every third post with the structured fields, so the
named date formats are used) and a doctor on the teams of 40 patients. Then it times,
interleaved so that both languages see the same machine load,

1. the first page of the timeline (``GET patient.url``) in Japanese and in English,
2. the ``/home/`` patient list in Japanese and in English,

checks that each answer is in the expected language, and times ``make messages``'
work (extract into a temporary copy of the sources, compile with msgfmt). It prints
p50/p95 of wall and CPU time, the English/Japanese ratios, and writes
``bench/results/i18n.json`` with the load average. The exit status is non-zero if an
answer is in the wrong language or English costs more than ``RATIO_TARGET`` times
Japanese (CPU p50).
"""

import datetime
import json
import os
import shutil
import subprocess  # noqa: S404
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.common import setup_django, summary, time_calls  # noqa: E402

RESULTS = REPO / "bench" / "results" / "i18n.json"
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
POSTS = 30
PATIENTS = 40
WARMUP = 20
RUNS = 200
EXTRACT_RUNS = 3
RATIO_TARGET = 1.10  # English may cost at most 10% more CPU than Japanese (p50)


def build():
    from tests.factories import FacilityFactory, join_team, make_patient, make_staff
    from timeline import services

    clinic = FacilityFactory(name="みまもり在宅クリニック")
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    doctor = make_staff(clinic, job_title="医師", last_name="山田")
    nurse = make_staff(station, job_title="看護師", last_name="田中")
    patients = []
    for i in range(PATIENTS):
        patient = make_patient(
            f"患者 {i:03d}",
            f"かんじゃ {i:03d}",
            birth_date=datetime.date(1930, 1, 1) + datetime.timedelta(days=97 * i),
        )
        join_team(patient, clinic, doctor)
        join_team(patient, station, nurse)
        patients.append(patient)
    busy = patients[0]
    for i in range(POSTS):
        data = {"body": f"訪問記録 {i}。体温36.{i % 10}度。"}
        if i % 3 == 0:
            data |= {
                "next_visit_date": datetime.date(2026, 12, 1 + i % 28),
                "plan_change": "減量",
                "care_cautions": "転倒注意",
            }
        services.create_post(nurse, busy, station, "看護師", data)
    return doctor, busy


def interleaved(calls_by_language):
    """{language: (wall ns list, cpu ns list, last body)}, the languages taking turns."""
    out = {lang: ([], [], None) for lang in calls_by_language}
    for _ in range(WARMUP):
        for call in calls_by_language.values():
            call()
    for _ in range(RUNS):
        for lang, call in calls_by_language.items():
            cpu = []
            [(wall, body)] = time_calls([call], cpu)
            walls, cpus, _last = out[lang]
            walls.append(wall)
            cpus.append(cpu[0])
            out[lang] = (walls, cpus, body)
    return out


def git_commit():
    out = subprocess.run(  # noqa: S603
        ["/usr/bin/git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or None


def time_extraction():
    from cms import translations

    walls = []
    for _ in range(EXTRACT_RUNS):
        root = Path(tempfile.mkdtemp(prefix="mimamori-i18n-"))
        try:
            start = time.perf_counter_ns()
            translations.copy_sources(root)
            shutil.copytree(REPO / "locale", root / "locale")  # merge into the real catalogue
            translations.extract(root)
            translations.compile_all(root)
            walls.append(time.perf_counter_ns() - start)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return summary(walls)


def main():
    tmp_dir = tempfile.mkdtemp(prefix="mimamori-bench-")
    try:
        setup_django(tmp_dir)
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", interactive=False, verbosity=0)
        load_start = os.getloadavg()
        doctor, busy = build()
        clients = {}
        for lang in ("ja", "en"):
            client = Client()
            client.force_login(doctor, backend=LOGIN_BACKEND)
            if lang != "ja":
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
            clients[lang] = client

        pages = {
            "timeline": lambda c: c.get(busy.url).content.decode(),
            "home": lambda c: c.get("/home/").content.decode(),
        }
        expected = {
            ("timeline", "ja"): "＋ 投稿を書く",
            ("timeline", "en"): "+ Write a post",
            ("home", "ja"): "<h1>患者一覧</h1>",
            ("home", "en"): "<h1>Patients</h1>",
        }
        result = {
            "git_commit": git_commit(),
            "load_average_1min": round(load_start[0], 2),
            "cpus": os.cpu_count(),
            "posts": POSTS,
            "patients": PATIENTS,
            "requests_per_language": RUNS,
        }
        wrong = 0
        print(
            f"{'page':10} {'lang':4} {'wall p50':>9} {'wall p95':>9} {'cpu p50':>8} {'cpu p95':>8}  (ms)"
        )
        for page, get in pages.items():
            measured = interleaved(
                {lang: (lambda c=c, get=get: get(c)) for lang, c in clients.items()}
            )
            for lang, (walls, cpus, body) in measured.items():
                right = expected[(page, lang)] in body
                wrong += int(not right)
                wall, cpu = summary(walls), summary(cpus)
                for kind, figures in (("wall", wall), ("cpu", cpu)):
                    for stat in ("p50", "p95"):
                        result[f"{page}_{lang}_{kind}_{stat}_ms"] = round(figures[stat], 3)
                print(
                    f"{page:10} {lang:4} {wall['p50']:9.2f} {wall['p95']:9.2f} {cpu['p50']:8.2f} "
                    f"{cpu['p95']:8.2f}  {'ok' if right else 'WRONG LANGUAGE'}"
                )
            ratio = result[f"{page}_en_cpu_p50_ms"] / result[f"{page}_ja_cpu_p50_ms"]
            result[f"{page}_en_over_ja_cpu_p50_ratio"] = round(ratio, 3)
            result[f"{page}_ratio_pass"] = ratio <= RATIO_TARGET
            print(f"{page:10} en/ja CPU p50 ratio {ratio:.3f} (target <= {RATIO_TARGET})")

        extraction = time_extraction()
        result["make_messages_p50_ms"] = round(extraction["p50"], 1)
        result["make_messages_max_ms"] = round(extraction["max"], 1)
        print(
            f"make messages (copy, extract, compile): p50 {extraction['p50']:.0f} ms, {EXTRACT_RUNS} runs"
        )
        result["language_mismatches"] = wrong
        result["load_average_1min_end"] = round(os.getloadavg()[0], 2)
        ok = wrong == 0 and all(v for k, v in result.items() if k.endswith("_pass"))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(
            f"load average {result['load_average_1min']} -> {result['load_average_1min_end']} "
            f"on {result['cpus']} cores (shared machine); written {RESULTS.relative_to(REPO)}"
        )
        return 0 if ok else 1
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(tmp_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
