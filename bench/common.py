"""Builders shared by the benchmarks (Django must be set up before calling them)."""

import math
import os
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def bulk_create_patients(rng, n, now):
    """``n`` live PatientPages under the patients index, fast.

    Page rows get a correct materialised path; the PatientPage rows go in with the
    insert query Model.save() uses, since bulk_create refuses multi-table
    inheritance. Returns (page primary keys, patient UUIDs), in creation order.
    """
    from django.contrib.contenttypes.models import ContentType

    from wagtail.models import Page

    from network.models import PatientPage, PatientsIndexPage

    index = PatientsIndexPage.objects.get()
    content_type = ContentType.objects.get_for_model(PatientPage)
    pages, patient_uuids = [], []
    for i in range(n):
        patient_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        slug = patient_id.hex
        title = f"患者 {i:05d}"
        patient_uuids.append(patient_id)
        pages.append(
            Page(
                title=title,
                draft_title=title,
                slug=slug,
                content_type=content_type,
                path=index.path + PatientPage._int2str(i + 1).rjust(PatientPage.steplen, "0"),
                depth=index.depth + 1,
                numchild=0,
                url_path=f"{index.url_path}{slug}/",
                locale_id=index.locale_id,
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
                show_in_menus=False,
            )
        )
    Page.objects.bulk_create(pages, batch_size=500)
    patients = [
        PatientPage(
            page_ptr_id=page.pk,
            patient_id=patient_id,
            name_kana=f"かんじゃ {i:05d}",
            birth_date=date(1925, 1, 1) + timedelta(days=rng.randrange(365 * 60)),
            sex=rng.choice(["female", "male"]),
            address="",
            secretariat_note="",
        )
        for i, (page, patient_id) in enumerate(zip(pages, patient_uuids, strict=True))
    ]
    fields = PatientPage._meta.local_concrete_fields
    batch = max(1, 999 // len(fields))
    for start in range(0, len(patients), batch):
        PatientPage._base_manager._insert(patients[start : start + batch], fields=fields)
    Page.objects.filter(pk=index.pk).update(numchild=n)
    return [page.pk for page in pages], patient_uuids


# --- Set-up and measuring, the same for every benchmark ---------------------


def setup_django(tmp_dir):
    """Point Django at a fresh SQLite file in ``tmp_dir`` and set it up."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    db_path = str(Path(tmp_dir) / "bench.sqlite3")
    # The test settings read TEST_SQLITE_PATH unless DATABASE_URL is set; drop the
    # latter so that no configured database can ever be reached.
    os.environ.pop("DATABASE_URL", None)
    os.environ["TEST_SQLITE_PATH"] = db_path
    os.environ["MIMAMORI_VAR_DIR"] = str(Path(tmp_dir) / "var")

    import django
    from django.conf import settings

    from cms.settings.base import SQLITE_OPTIONS

    # Whatever the settings module says, this run uses its own file.
    settings.DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": db_path,
            "OPTIONS": dict(SQLITE_OPTIONS),
            "TEST": {"NAME": db_path},
        }
    }
    settings.MEDIA_ROOT = Path(tmp_dir) / "media"
    django.setup()

    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if not name.startswith(str(tmp_dir)) or "mimamori.sqlite3" in name:
        raise SystemExit(f"refusing to run on {name}")
    return db_path


def percentile(values, q):
    """Nearest-rank percentile of ``values`` (0 < q <= 100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(ns_values):
    ms = [v / 1e6 for v in ns_values]
    return {
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "max": max(ms),
        "mean": statistics.fmean(ms),
    }


def time_calls(calls, cpu_out=None):
    """[(ns, result)] for each zero-argument callable, timed with perf_counter_ns.

    With ``cpu_out``, the CPU time of this thread for each call is appended to it
    too: SQLite runs in-process, so this is the work done, without the time spent
    waiting for a core when other processes compete for the machine.
    """
    out = []
    for call in calls:
        cpu = time.thread_time_ns()
        start = time.perf_counter_ns()
        result = call()
        wall = time.perf_counter_ns() - start
        if cpu_out is not None:
            cpu_out.append(time.thread_time_ns() - cpu)
        out.append((wall, result))
    return out


def explain(sql, params):
    """SQLite's EXPLAIN QUERY PLAN as an indented tree."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        rows = cursor.fetchall()
    depth = {0: -1}
    lines = []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + detail)
    return "\n".join(lines)
