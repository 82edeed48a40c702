"""Benchmark of the form PDFs (``forms.pdf``): time and size of every blank and filled form.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python bench/pdf.py

For each of forms 1-8 and the ledger it renders the blank form and a form filled with
typical values (every field, long text where a form has free text, ten ledger rows)
``--runs`` times each, after one warm-up render (the first render of the process
registers the font), and reports p50/p95/max per PDF against the target (p95 <= 150 ms)
and the size of each PDF. It also times a cached blank download (``blank_pdf``). Needs no
database. Writes ``bench/results/pdf.json``; exits non-zero if a target is missed.
"""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

import django  # noqa: E402

django.setup()

from pypdf import PdfReader  # noqa: E402

from bench.common import summary  # noqa: E402
from forms import definitions as d  # noqa: E402
from forms import pdf  # noqa: E402

TARGET_P95_MS = 150.0


def filled_values(definition):
    values = {"_date": "2026-11-25"}
    for f in definition.fields:
        if f.kind == d.CHOICE:
            values[f.name] = f.choices[0][0]
        elif f.kind == d.AGREE:
            values[f.name] = True
        elif f.kind in (d.DATE, d.BIRTH_DATE):
            values[f.name] = "1942-06-15" if f.kind == d.BIRTH_DATE else "2026-12-01"
        elif f.kind == d.EMAIL:
            values[f.name] = "kanrisha.fukui@clinic.example.jp"
        elif f.kind == d.FACILITY_CODE:
            values[f.name] = "1812345678"
        elif f.kind == d.NUMBER:
            values[f.name] = 2
        elif f.kind == d.TEXTAREA:
            values[f.name] = "福井市大願寺3丁目の新事務所へ移転し、電話番号とFAX番号も変更になりました。" * 3
        elif f.kind == d.KANA:
            values[f.name] = "ミマモリザイタククリニック"
        else:
            values[f.name] = "みまもり在宅クリニック 福井 太郎"
    for row in range(1, 11) if definition.table else ():
        values.update(
            {
                f"r{row}_name": f"利用者 {row}郎",
                f"r{row}_job": "看護師",
                f"r{row}_email": f"user{row}@clinic.example.jp",
                f"r{row}_device": "iPhone",
                f"r{row}_vpn": f"{1000 + row:04d}",
                f"r{row}_start": "2026-04-01",
            }
        )
    return values


def time_ns(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    load = os.getloadavg()
    pdf.render(d.FORM_1)  # warm-up: font registration
    rows = []
    ok = True
    for definition in d.FORMS:
        values = filled_values(definition)
        blank = pdf.render(definition)
        filled = pdf.render(definition, values, reference="MM-2026-000123")
        blank_t = summary(time_ns(lambda defn=definition: pdf.render(defn), args.runs))
        filled_t = summary(
            time_ns(
                lambda defn=definition, v=values: pdf.render(defn, v, reference="MM-2026-000123"),
                args.runs,
            )
        )
        pdf.blank_pdf(definition)
        cached_t = summary(time_ns(lambda defn=definition: pdf.blank_pdf(defn), args.runs))
        passed = blank_t["p95"] <= TARGET_P95_MS and filled_t["p95"] <= TARGET_P95_MS
        ok = ok and passed
        rows.append(
            {
                "form": definition.label,
                "title": definition.title,
                "blank_ms": blank_t,
                "filled_ms": filled_t,
                "cached_blank_ms": cached_t,
                "blank_bytes": len(blank),
                "filled_bytes": len(filled),
                "pages": len(PdfReader(io.BytesIO(blank)).pages),
                "meets_target": passed,
            }
        )

    print(f"Form PDFs, {args.runs} runs each; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'form':10} {'blank p50/p95 ms':>18} {'filled p50/p95 ms':>18} {'cached p95':>10} {'blank KB':>9} {'filled KB':>9}  target")
    for r in rows:
        print(
            f"{r['form']:10} {r['blank_ms']['p50']:8.1f}/{r['blank_ms']['p95']:7.1f}  "
            f"{r['filled_ms']['p50']:8.1f}/{r['filled_ms']['p95']:7.1f}  "
            f"{r['cached_blank_ms']['p95']:9.3f} {r['blank_bytes'] / 1024:9.1f} {r['filled_bytes'] / 1024:9.1f}  "
            f"{'ok' if r['meets_target'] else 'MISSED'} (p95 <= {TARGET_P95_MS:.0f} ms)"
        )
    worst = max(max(r["blank_ms"]["p95"], r["filled_ms"]["p95"]) for r in rows)
    print(f"worst p95 {worst:.1f} ms = {worst / TARGET_P95_MS:.2f} x target")

    from timeline.export import IPAEX_GOTHIC_PATH, _japanese_font

    result = {
        "benchmark": "pdf",
        "runs": args.runs,
        "loadavg": load,
        "cpu_count": os.cpu_count(),
        "font": _japanese_font(IPAEX_GOTHIC_PATH)[0],
        "target_p95_ms": TARGET_P95_MS,
        "worst_p95_ms": worst,
        "forms": rows,
        "all_targets_met": ok,
    }
    out = Path(__file__).resolve().parent / "results" / "pdf.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
