"""Benchmark of Japanese full-text search (``search``) at the issue's scale.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python bench/search.py
    DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python bench/search.py \\
        --database-url postgresql://app:app@127.0.0.1:5432/app

SQLite: its own file in a fresh temporary directory (never ``var/mimamori.sqlite3``).
PostgreSQL: a fresh database ``bench_search`` created (and dropped) on the server of
``--database-url``. Then it bulk-loads 2,000 patients with 100,000 posts (realistic
care-note sentences from tests/search/data/quality_set.json), teams for every
patient, and one staff member on the teams of 100 patients; and measures

1. indexing: ``search.index.rebuild()`` over everything (posts per second, bulk
   path) and ``search.index.index_post()`` one post at a time (the write path of
   a new post), posts per second;
   (the index work inside the post's transaction; also reported with a commit
   per post, for information);
2. index size: bytes of the search table, its indexes and the full-text index,
   per post;
3. query time: ``search.query.search(user, q)`` (policy, candidates, confirmation,
   snippets, the three groups) for the quality set's 58 queries, one warm-up and
   3 timed passes: p50/p95/max, and the hits are checked against a ground truth
   computed in Python from the generated rows (substring on normalised text, the
   user's 100 patients only; the newest 50 posts are shown).

Targets (SQLite, 2 cores): query p95 ≤ 100 ms; indexing ≥ 500 posts/s. Results
are merged into ``bench/results/search.json`` under ``sqlite_*`` or
``postgresql_*`` keys, with the load average at the start and end.
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.common import setup_django, summary, time_calls  # noqa: E402

RESULTS = REPO / "bench" / "results" / "search.json"
QUALITY = REPO / "tests" / "search" / "data" / "quality_set.json"

N_PATIENTS = 2_000
N_POSTS = 100_000
USER_PATIENTS = 100
N_FACILITIES = 60
TEAM_FACILITIES = (2, 4)
SEQUENTIAL_POSTS = 500
QUERY_PASSES = 3
SHOWN = 50

QUERY_P95_TARGET_MS = 100.0
INDEX_RATE_TARGET = 500.0


def setup_postgres(url):
    """Point Django at a fresh database ``bench_search`` on the server of ``url``."""
    import psycopg

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import dj_database_url

    config = dj_database_url.parse(url)
    admin = psycopg.connect(url, autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS bench_search")
    admin.execute("CREATE DATABASE bench_search")
    admin.close()
    config["NAME"] = "bench_search"

    import django
    from django.conf import settings

    settings.DATABASES = {"default": {**config, "TEST": {"NAME": "bench_search"}}}
    django.setup()
    return url.rsplit("/", 1)[0] + "/bench_search"


def drop_postgres(url):
    from django.db import connections

    import psycopg

    connections.close_all()
    admin = psycopg.connect(url, autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS bench_search")
    admin.close()


def sentences():
    data = json.loads(QUALITY.read_text(encoding="utf-8"))
    out = set()
    for note in data["notes"]:
        for part in note["body"].split("。"):
            if part.strip():
                out.add(part.strip() + "。")
    return sorted(out), [q["q"] for q in data["queries"]]


def build(rng):
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from bench.common import bulk_create_patients
    from network.models import (
        Facility,
        FacilityKind,
        FacilityMembership,
        FacilityStatus,
        MemberLink,
        MembershipRole,
        TeamLink,
    )
    from timeline.models import Post

    User = get_user_model()
    now = timezone.now()
    pool, queries = sentences()
    with transaction.atomic():
        patient_pks, _uuids = bulk_create_patients(rng, N_PATIENTS, now)
        codes = rng.sample(range(1_000_000_000, 10_000_000_000), N_FACILITIES)
        facilities = Facility.objects.bulk_create(
            Facility(kind=FacilityKind.VISITING_NURSE, code=f"{code:010d}", name=f"ベンチ施設{i:02d}",
                     name_kana=f"べんちしせつ{i:02d}", status=FacilityStatus.ACTIVE)
            for i, code in enumerate(codes)
        )
        staff = User.objects.bulk_create(
            User(email=f"bench{i}@example.jp", last_name=f"職員{i}", first_name="花子",
                 last_name_kana=f"しょくいん{i}", password="!")
            for i in range(N_FACILITIES)
        )
        FacilityMembership.objects.bulk_create(
            FacilityMembership(user=u, facility=f, role=MembershipRole.STAFF, job_title="看護師", since=now)
            for u, f in zip(staff, facilities, strict=True)
        )
        user = staff[0]
        user_patients = set(rng.sample(patient_pks, USER_PATIENTS))
        team_links, member_links, teams = [], [], {}
        for pk in patient_pks:
            chosen = set(rng.sample(range(1, N_FACILITIES), rng.randint(*TEAM_FACILITIES)))
            if pk in user_patients:
                chosen.add(0)
            teams[pk] = sorted(chosen)
            for i in chosen:
                team_links.append(TeamLink(patient_id=pk, facility=facilities[i], since=now))
                member_links.append(MemberLink(patient_id=pk, user=staff[i], facility=facilities[i], since=now))
        TeamLink.objects.bulk_create(team_links, batch_size=2000)
        MemberLink.objects.bulk_create(member_links, batch_size=2000)
        posts = []
        for n in range(N_POSTS):
            pk = patient_pks[n % N_PATIENTS]
            i = rng.choice(teams[pk])
            body = "".join(rng.sample(pool, rng.randint(1, 4)))
            posts.append(Post(patient_id=pk, author=staff[i], facility=facilities[i],
                              author_job_title="看護師", body=body))
        Post.objects.bulk_create(posts, batch_size=2000)
    return {"user": user, "user_patients": user_patients, "queries": queries}


def index_size():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search%'")
        else:
            cursor.execute("SELECT pg_total_relation_size('search_searchentry')")
        return cursor.fetchone()[0] or 0


def ground_truth(world):
    """{query: set of post ids} for the user's patients, by plain substring on normalised text."""
    from search.text import Query, normalize
    from timeline.models import Post

    texts = [
        (pk, normalize(body))
        for pk, body in Post.objects.filter(patient_id__in=world["user_patients"]).values_list("pk", "body")
    ]
    truth = {}
    for q in world["queries"]:
        query = Query(q)
        truth[q] = {pk for pk, text in texts if query.matches(text)}
    return truth


def measure(world, vendor):
    from django.db import connection, transaction

    from search import index
    from search.query import search
    from timeline.models import Post

    m = {"load": os.getloadavg()[0]}
    start = time.perf_counter()
    counts = index.rebuild()
    m["rebuild_seconds"] = time.perf_counter() - start
    m["rebuild_posts_per_s"] = counts["posts"] / m["rebuild_seconds"]
    m["index_bytes"] = index_size()
    m["index_bytes_per_post"] = m["index_bytes"] / counts["posts"]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # One post at a time, as the write path does (each in its own transaction).
    pks = list(Post.objects.values_list("pk", flat=True))
    sample = list(Post.objects.filter(pk__in=random.Random(1).sample(pks, SEQUENTIAL_POSTS)))
    # The index work of the write path of a new post: inside the post's own
    # transaction, which commits anyway (so the commit is not the index's cost) ...
    fresh = Post.objects.bulk_create(
        Post(patient_id=p.patient_id, author_id=p.author_id, facility_id=p.facility_id,
             author_job_title=p.author_job_title, body=p.body)
        for p in sample
    )
    cpu = time.thread_time()
    start = time.perf_counter()
    with transaction.atomic():
        for post in fresh:
            index.index_new_post(post)
    m["sequential_posts_per_s"] = len(fresh) / (time.perf_counter() - start)
    m["sequential_cpu_posts_per_s"] = len(fresh) / (time.thread_time() - cpu)
    # ... an edit replaces the entry ...
    start = time.perf_counter()
    with transaction.atomic():
        for post in sample:
            index.index_post(post)
    m["edit_posts_per_s"] = len(sample) / (time.perf_counter() - start)
    # ... and, for information, each in a transaction of its own (a commit each).
    start = time.perf_counter()
    for post in sample:
        with transaction.atomic():
            index.index_post(post)
    m["sequential_committed_posts_per_s"] = len(sample) / (time.perf_counter() - start)

    truth = ground_truth(world)
    user = world["user"]
    calls = [lambda q=q: search(user, q) for q in world["queries"]]
    time_calls(calls)  # warm-up
    walls, cpu, wrong, hits, per_query = [], [], [], [], {}
    for _ in range(QUERY_PASSES):
        first = len(cpu)
        timed = time_calls(calls, cpu)
        for i, ((wall, results), q) in enumerate(zip(timed, world["queries"], strict=True)):
            walls.append(wall)
            per_query.setdefault(q, []).append(cpu[first + i] / 1e6)
            got = {r.post.pk for r in results.posts}
            expected = truth[q]
            newest = set(sorted(expected, reverse=True)[:SHOWN])
            if got != newest:
                wrong.append(q)
            hits.append(len(expected))
    m["query"] = summary(walls)
    m["query_cpu"] = summary(cpu)
    m["query_wrong"] = sorted(set(wrong))
    m["query_samples"] = len(walls)
    m["slowest"] = sorted(((max(v), q) for q, v in per_query.items()), reverse=True)[:6]
    m["expected_hits_mean"] = sum(hits) / len(hits)
    # Where the slowest queries spend their time: the post candidates' SQL alone, and its plan.
    from network import access
    from search.backends import get_backend
    from search.models import EntryKind
    from search.query import CANDIDATES
    from search.text import Query

    m["slowest_detail"] = []
    for _ms, q in m["slowest"][:3]:
        query = Query(q)
        visible = access.visible_patients(user)
        captured = []

        def capture(execute, sql, params, many, context, captured=captured):
            captured.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            start = time.perf_counter()
            get_backend().search(query, [EntryKind.POST, EntryKind.ATTACHMENT], patients=visible, limit=CANDIDATES)
            sql_ms = (time.perf_counter() - start) * 1000
        plan = ""
        if vendor == "sqlite" and captured:
            from bench.common import explain

            plan = explain(*captured[-1])
        m["slowest_detail"].append((q, sql_ms, plan))
    m["load_end"] = os.getloadavg()[0]
    return m


def report(vendor, m, build_seconds):
    p = vendor
    out = {
        f"{p}_posts": N_POSTS,
        f"{p}_patients": N_PATIENTS,
        f"{p}_user_patients": USER_PATIENTS,
        f"{p}_build_seconds": round(build_seconds, 2),
        f"{p}_rebuild_seconds": round(m["rebuild_seconds"], 2),
        f"{p}_rebuild_posts_per_s": round(m["rebuild_posts_per_s"], 1),
        f"{p}_sequential_posts_per_s": round(m["sequential_posts_per_s"], 1),
        f"{p}_sequential_committed_posts_per_s": round(m["sequential_committed_posts_per_s"], 1),
        f"{p}_sequential_cpu_posts_per_s": round(m["sequential_cpu_posts_per_s"], 1),
        f"{p}_edit_posts_per_s": round(m["edit_posts_per_s"], 1),
        f"{p}_index_bytes": m["index_bytes"],
        f"{p}_index_bytes_per_post": round(m["index_bytes_per_post"], 1),
        f"{p}_query_samples": m["query_samples"],
        f"{p}_query_p50_ms": round(m["query"]["p50"], 3),
        f"{p}_query_p95_ms": round(m["query"]["p95"], 3),
        f"{p}_query_max_ms": round(m["query"]["max"], 3),
        f"{p}_query_cpu_p95_ms": round(m["query_cpu"]["p95"], 3),
        f"{p}_query_expected_hits_mean": round(m["expected_hits_mean"], 1),
        f"{p}_query_wrong_answers": len(m["query_wrong"]),
        f"{p}_load_average_1min": round(m["load"], 2),
        f"{p}_load_average_1min_end": round(m["load_end"], 2),
        f"{p}_query_p95_target_ms": QUERY_P95_TARGET_MS,
        f"{p}_index_rate_target_posts_per_s": INDEX_RATE_TARGET,
        f"{p}_query_p95_target_ratio": round(QUERY_P95_TARGET_MS / m["query"]["p95"], 2),
        f"{p}_index_rate_target_ratio": round(
            min(m["rebuild_posts_per_s"], m["sequential_posts_per_s"]) / INDEX_RATE_TARGET, 2
        ),
        "cpus": os.cpu_count(),
    }
    from bench.timeline import source_state

    out[f"{p}_git_commit"], out[f"{p}_git_uncommitted_changes"] = source_state()
    query_ok = m["query"]["p95"] <= QUERY_P95_TARGET_MS
    rate_ok = min(m["rebuild_posts_per_s"], m["sequential_posts_per_s"]) >= INDEX_RATE_TARGET
    out[f"{p}_query_p95_pass"] = query_ok
    out[f"{p}_index_rate_pass"] = rate_ok
    print(f"\n== search benchmark on {vendor} ({N_POSTS:,} posts, {N_PATIENTS:,} patients, user on {USER_PATIENTS} teams)")
    print(f"  load average {m['load']:.2f} at start, {m['load_end']:.2f} at end ({os.cpu_count()} CPUs)")
    print(f"  build {build_seconds:.1f} s")
    print(f"  rebuild_search     {m['rebuild_posts_per_s']:8.0f} posts/s   target ≥ {INDEX_RATE_TARGET:.0f}")
    print(f"  index one by one   {m['sequential_posts_per_s']:8.0f} posts/s   target ≥ {INDEX_RATE_TARGET:.0f}"
          f"   {'PASS' if rate_ok else 'MISS'}")
    print(f"  (CPU only          {m['sequential_cpu_posts_per_s']:8.0f} posts/s; edits {m['edit_posts_per_s']:.0f} posts/s)")
    print(f"  (one commit each   {m['sequential_committed_posts_per_s']:8.0f} posts/s, for information)")
    print(f"  index size         {m['index_bytes'] / 1e6:8.1f} MB = {m['index_bytes_per_post']:.0f} bytes/post")
    print(f"  query p50/p95/max  {m['query']['p50']:.1f} / {m['query']['p95']:.1f} / {m['query']['max']:.1f} ms"
          f" (CPU p95 {m['query_cpu']['p95']:.1f})   target p95 ≤ {QUERY_P95_TARGET_MS:.0f} ms"
          f"   {'PASS' if query_ok else 'MISS'}")
    print("  slowest queries (CPU ms): " + ", ".join(f"{q} {ms:.0f}" for ms, q in m["slowest"]))
    for q, sql_ms, plan in m["slowest_detail"]:
        print(f"  post candidates SQL for {q!r}: {sql_ms:.1f} ms")
        if plan:
            print("    " + plan.replace("\n", "\n    "))
    print(f"  answers differing from the ground truth: {len(m['query_wrong'])} {m['query_wrong'][:5]}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results = {k: v for k, v in results.items() if not k.startswith(p + "_")}
    results.update(out)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(dict(sorted(results.items())), indent=2, ensure_ascii=False) + "\n")
    print(f"  results merged into {RESULTS.relative_to(REPO)}")
    return (query_ok or vendor != "sqlite") and (rate_ok or vendor != "sqlite") and not m["query_wrong"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server (else SQLite)")
    args = parser.parse_args()
    tmp_dir = tempfile.mkdtemp(prefix="mimamori-bench-")
    try:
        if args.database_url:
            os.environ["MIMAMORI_VAR_DIR"] = str(Path(tmp_dir) / "var")
            setup_postgres(args.database_url)
            from django.conf import settings

            settings.MEDIA_ROOT = Path(tmp_dir) / "media"
            vendor = "postgresql"
        else:
            setup_django(tmp_dir)
            vendor = "sqlite"
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        rng = random.Random(args.seed)
        start = time.perf_counter()
        world = build(rng)
        build_seconds = time.perf_counter() - start
        ok = report(vendor, measure(world, vendor), build_seconds)
    finally:
        from django.db import connections

        connections.close_all()
        if args.database_url:
            drop_postgres(args.database_url)
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
