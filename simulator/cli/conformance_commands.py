"""``tcpsim packetdrill``: run packetdrill scripts against the model (the model is the stack)."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from ..conformance.packetdrill import Result, RunOptions, find_scripts, run_script, summarize
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
        data = {"profile": args.profile, "results": [r.to_dict() for r in results], "summary": summary}
        print(json.dumps(data, indent=1))
    else:
        for r in results:
            if r.status != "pass" or args.verbose:
                print(f"{r.status.upper():5} {r.path}")
                if r.message:
                    print("      " + "\n      ".join(textwrap.wrap(r.message, 100)))
        print(_table(table, results))
        failed = sum(1 for r in results if r.status == "fail")
        if args.profile != "freebsd" and failed > len(results) / 2 and _written_for_freebsd(scripts):
            print("hint: these scripts are written for FreeBSD (sysctl net.inet...): try --profile freebsd")
    return 0 if all(r.status in ("pass", "n/a") for r in results) else 1


def _table(table: list[tuple[str, dict[str, int]]], results: list[Result]) -> str:
    width = max([len(folder) for folder, _ in table] + [9])
    lines = [f"{'directory':<{width}}  {'pass':>5} {'fail':>5} {'n/a':>5} {'error':>5} {'total':>6}"]
    totals = {"pass": 0, "fail": 0, "n/a": 0, "error": 0}
    for folder, counts in table:
        for key in totals:
            totals[key] += counts[key]
        lines.append(
            f"{folder:<{width}}  {counts['pass']:>5} {counts['fail']:>5} {counts['n/a']:>5} {counts['error']:>5} "
            f"{sum(counts.values()):>6}"
        )
    n = len(results)
    share = 100.0 * totals["pass"] / n if n else 0.0
    lines.append(
        f"{'total':<{width}}  {totals['pass']:>5} {totals['fail']:>5} {totals['n/a']:>5} {totals['error']:>5} "
        f"{n:>6}  ({share:.1f}% pass)"
    )
    skipped: dict[str, int] = {}
    for r in results:
        for kind, count in r.skipped_kinds.items():
            skipped[kind] = skipped.get(kind, 0) + count
    if skipped:
        parts = ", ".join(f"{count} {kind}" for kind, count in sorted(skipped.items()))
        lines.append(f"lines skipped (nothing for the model to do): {sum(skipped.values())} ({parts})")
    return "\n".join(lines)


def _written_for_freebsd(scripts: list[Path]) -> bool:
    return any("net.inet.tcp" in path.read_text(encoding="utf-8", errors="replace") for path in scripts[:20])
