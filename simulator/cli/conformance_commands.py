"""``tcpsim packetdrill``: run packetdrill scripts against the model (the model is the stack)."""

from __future__ import annotations

import argparse
import json
import textwrap
from collections import Counter
from pathlib import Path

from ..conformance.packetdrill import Outcome, Result, RunOptions, find_scripts, run_script, summarize
from ..model.profiles import DEFAULT_PROFILE, PROFILES
from .options import UsageError


def packetdrill_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="SCRIPT.pkt|DIR")
    parser.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE, help="the stack's choices")
    parser.add_argument("--json", action="store_true", help="results as JSON")
    parser.add_argument("--verbose", action="store_true", help="one line for every script, not just the failures")
    parser.add_argument("--compare-window", action="store_true", help="also compare the window of sent segments")
    parser.add_argument("--compare-options", action="store_true", help="also compare the TCP options sent")
    parser.add_argument("--tolerance_usecs", "--tolerance-usecs", type=int, metavar="N", help="timing tolerance")


def packetdrill(args: argparse.Namespace) -> int:
    options = RunOptions(
        profile=args.profile,
        compare_window=args.compare_window,
        compare_options=args.compare_options,
        tolerance_usecs=args.tolerance_usecs,
    )
    scripts = find_scripts(args.paths)
    if not scripts:
        raise UsageError(f"tcpsim packetdrill: no .pkt scripts in {' '.join(args.paths)}")
    results = [run_script(path, options) for path in scripts]
    table = summarize(results)
    if args.json:
        summary = {folder: counts for folder, counts in table}
        totals = {str(o): sum(1 for r in results if r.status == o) for o in Outcome}
        features = Counter(r.feature for r in results if r.feature)
        data = {
            "profile": args.profile,
            "results": [r.to_dict() for r in results],
            "summary": summary,
            "totals": totals,
            "features": dict(sorted(features.items(), key=lambda kv: (-kv[1], kv[0]))),
        }
        print(json.dumps(data, indent=1))
    else:
        for r in results:
            if r.status != "pass" or args.verbose:
                print(f"{r.status.upper():5} {r.path}")
                if r.message:
                    print("      " + "\n      ".join(textwrap.wrap(r.message, 100)))
                if r.feature:
                    print(f"      needs: {r.feature}")
        print(_table(table, results))
        failed = sum(1 for r in results if r.status == "fail")
        if args.profile != "freebsd" and failed > len(results) / 2 and _written_for_freebsd(scripts):
            print("hint: these scripts are written for FreeBSD (sysctl net.inet...): try --profile freebsd")
    return 0 if all(r.status not in (Outcome.FAIL, Outcome.ERROR) for r in results) else 1


_COLUMNS = (Outcome.PASS, Outcome.FAIL, Outcome.ERROR, Outcome.NEEDS_FEATURE, Outcome.VACUOUS)
_HEADINGS = {Outcome.NEEDS_FEATURE: "needs", Outcome.VACUOUS: "vacuous"}


def _table(table: list[tuple[str, dict[str, int]]], results: list[Result]) -> str:
    width = max([len(folder) for folder, _ in table] + [9])
    heads = " ".join(f"{_HEADINGS.get(c, str(c)):>7}" for c in _COLUMNS)
    lines = [f"{'directory':<{width}}  {heads} {'total':>6}"]
    totals = dict.fromkeys(map(str, _COLUMNS), 0)
    for folder, counts in table:
        for key in totals:
            totals[key] += counts[key]
        lines.append(f"{folder:<{width}}  {_row(counts)} {sum(counts.values()):>6}")
    n = len(results)
    share = 100.0 * totals["pass"] / n if n else 0.0
    lines.append(f"{'total':<{width}}  {_row(totals)} {n:>6}  ({share:.1f}% pass)")
    lines += _tally("lines skipped (a check the model cannot perform)", [r.skipped_kinds for r in results])
    lines += _tally("environment (not modelled, not failed)", [r.environment for r in results])
    features: dict[str, int] = {}
    for r in results:
        if r.feature:
            features[r.feature] = features.get(r.feature, 0) + 1
    lines += _tally("features needed (scripts)", [features])
    return "\n".join(lines)


def _row(counts: dict[str, int]) -> str:
    return " ".join(f"{counts[str(c)]:>7}" for c in _COLUMNS)


def _tally(title: str, counters: list[dict[str, int]]) -> list[str]:
    total: dict[str, int] = {}
    for counter in counters:
        for kind, count in counter.items():
            total[kind] = total.get(kind, 0) + count
    if not total:
        return []
    parts = ", ".join(f"{count} {kind}" for kind, count in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))
    return [f"{title}: {sum(total.values())} ({parts})"]


def _written_for_freebsd(scripts: list[Path]) -> bool:
    return any("net.inet.tcp" in path.read_text(encoding="utf-8", errors="replace") for path in scripts[:20])
