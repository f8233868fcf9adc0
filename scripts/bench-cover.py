#!/usr/bin/env python3
"""Condense a benchmark run (and optionally an anchor run) into the table
the cover letter carries: medians of classic, ring and native, the
ring/classic ratio, the anchor's ratio for the same row, and the first
ratio over the second (ours/anchor: above 1 where our ring gains more).

usage: bench-cover.py OURS/results.json [ANCHOR/results.json]
"""
import importlib.util
import json
import os
import sys

# The number format of the full report (scripts/bench-report.py)
_spec = importlib.util.spec_from_file_location(
    "bench_report", os.path.join(os.path.dirname(__file__), "bench-report.py"))
_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_report)


def fmt(v):
    return "-" if v is None else _report.fmt(v)


def rows(path):
    d = json.load(open(path))
    out = {}
    for r in d["results"]:
        name = r["workload"] + (" " + r["metric"] if r["metric"] else "")
        out[(name, r["pin"])] = (r, d["classic"], d["ring"])
    return d, out


def main():
    ours, ours_rows = rows(sys.argv[1])
    anchor_rows = rows(sys.argv[2])[1] if len(sys.argv) > 2 else {}
    cl, rg = ours["classic"], ours["ring"]
    print(f"{'workload':<22} {'pin':<8} {'unit':<5} {cl:>7} {rg:>7} "
          f"{'native':>7} {rg + '/' + cl:>10} {'anchor':>7}"
          + (f" {'ours/anchor':>11}" if anchor_rows else ""))
    for (name, pin), (r, _, _) in ours_rows.items():
        c = r["configs"]
        med = {k: v["median"] for k, v in c.items()}
        anchor = None
        if (name, pin) in anchor_rows:
            a, acl, arg = anchor_rows[(name, pin)]
            am = {k: v["median"] for k, v in a["configs"].items()}
            if am.get(acl) and am.get(arg):
                anchor = am[arg] / am[acl]
        ratio = med[rg] / med[cl] if med.get(cl) and med.get(rg) else None
        both = f"{ratio / anchor:.2f}" if ratio and anchor else "-"
        print(f"{name:<22} {pin:<8} {r['unit']:<5} {fmt(med.get(cl)):>7} "
              f"{fmt(med.get(rg)):>7} {fmt(med.get('native')):>7} "
              f"{(f'{ratio:.2f}' if ratio else '-'):>10} "
              f"{(f'{anchor:.2f}' if anchor else '-'):>7}"
              + (f" {both:>11}" if anchor_rows else ""))


if __name__ == "__main__":
    main()
