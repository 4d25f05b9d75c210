"""``tcpsim check`` on one core or several: connections are independent, so each worker process
checks every n-th connection of the same capture and the reports merge back in the serial order.

Each worker reads the whole file (the 4-tuple demultiplexing must see every packet to number
the connections as ``tcpsim read`` does) and checks and renders only its share, so what crosses
between processes is finished text, not packets.  The order key from
``checker.checked_in_order`` makes the merged output byte-identical to a single process's.
"""

from __future__ import annotations

import heapq
import json
import multiprocessing
import os
import queue
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .capture import CaptureError, Connection, Tally
from .checker import ConnectionReport, checked_in_order, report_lines
from .errors import TcpsimError
from .spool import Spool, temporary_files

BATCH = 64  # reports sent to the parent at a time
PARALLEL_FROM = 4_000_000  # bytes: smaller captures are checked in one process (starting workers costs more)
MOST_WORKERS = 4  # each worker reads every packet, so more than this gains little (see the README)


@dataclass(frozen=True, slots=True)
class Checked:
    """One connection's finished report, ready to print."""

    order: tuple[int, int]
    conforms: bool
    packets: int
    output: str  # the rendered text, or the report as JSON (indented to sit in the capture's list)
    spooled: str | None = None  # a long connection's output is in this file instead ("output" is empty)

    def write(self, out: TextIO) -> None:
        """Print the output (a spooled one is copied from its file, which is then deleted)."""
        if self.spooled is None:
            out.write(self.output)
            return
        with open(self.spooled, encoding="utf-8") as f:
            shutil.copyfileobj(f, out)
        os.unlink(self.spooled)


def _finish(order: tuple[int, int], report: ConnectionReport, brief: bool, as_json: bool, spool_dir: str) -> Checked:
    # made here, in the worker: the parent only prints
    pieces = _json_pieces(report) if as_json else _text_pieces(report, brief)
    if not isinstance(report.packets, Spool):
        return Checked(order, report.conforms, len(report.packets), "".join(pieces))
    # a long connection: its output goes to a file, as its reports came from one
    with temporary_files():
        fd, name = tempfile.mkstemp(dir=spool_dir, suffix=".txt")
        with open(fd, "w", encoding="utf-8") as f:
            f.writelines(pieces)
    report.packets.close()
    return Checked(order, report.conforms, len(report.packets), "", name)


def _text_pieces(report: ConnectionReport, brief: bool) -> Iterator[str]:
    """The report's text lines, a newline between each two."""
    lines = report_lines(report, brief=brief)
    yield next(lines)
    for line in lines:
        yield "\n" + line


def _json_pieces(report: ConnectionReport) -> Iterator[str]:
    """A connection as JSON, indented to sit in the capture's list, with one line per packet
    (``json`` writes a one-line value several times faster than an indented one)."""
    head = json.dumps(report.heading_json(), indent=2)[:-2]  # without the closing "\n}"
    yield "    " + head.replace("\n", "\n    ") + ',\n      "packets": ['
    between = "\n"
    for packet in report.packets:
        yield f"{between}        {json.dumps(packet.to_json())}"
        between = ",\n"
    yield "\n      ]\n    }" if between == ",\n" else "]\n    }"


def check_serial(
    path: str | Path,
    tally: Tally,
    *,
    relative: bool = True,
    wanted: Callable[[Connection], bool] = lambda conn: True,
    brief: bool = False,
    as_json: bool = False,
    spool_dir: str | None = None,
) -> Iterator[Checked]:
    """Every wanted connection's finished report, checked in this process.  A long connection's
    output is in a file in ``spool_dir`` (by default a temporary directory that lasts as long as
    this iterator): print each report before taking the next."""
    with _spool_dir(spool_dir) as directory:
        for order, report in checked_in_order(path, tally, relative=relative, wanted=wanted):
            yield _finish(order, report, brief, as_json, directory)


@contextmanager
def _spool_dir(given: str | None) -> Iterator[str]:
    if given is not None:
        yield given
        return
    with temporary_files():
        temporary = tempfile.TemporaryDirectory(prefix="tcpsim-check-")
    with temporary as directory:
        yield directory


def workers_for(path: str | Path) -> int:
    """A worker per core (up to ``MOST_WORKERS``) for a large capture, else one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        large = Path(path).stat().st_size >= PARALLEL_FROM
    except OSError:
        large = False  # the reader reports what is wrong with the file
    return min(cores, MOST_WORKERS) if large else 1


def _worker(path: str, share: int, workers: int, options: dict[str, Any], out: Any) -> None:
    wanted = options.pop("wanted")
    tally = Tally()
    batch: list[Checked] = []
    try:
        mine = lambda conn: conn.number % workers == share and wanted(conn)  # noqa: E731
        for checked in check_serial(path, tally, wanted=mine, **options):
            batch.append(checked)
            if len(batch) >= BATCH:
                out.put(("reports", batch, tally.packets))
                batch = []
        out.put(("reports", batch, tally.packets))
        out.put(("done", tally, None))
    except TcpsimError as exc:  # after the reports of what came before the damage
        out.put(("reports", batch, tally.packets))
        out.put(("error", str(exc), None))
    except KeyboardInterrupt:
        pass
    except Exception:  # a bug: its traceback goes to the parent, which raises it
        out.put(("crash", traceback.format_exc(), None))


def check_parallel(
    path: str | Path,
    tally: Tally,
    *,
    workers: int,
    relative: bool = True,
    wanted: Callable[[Connection], bool] = lambda conn: True,
    brief: bool = False,
    as_json: bool = False,
) -> Iterator[Checked]:
    """``check_serial``'s reports, in the same order, from ``workers`` processes.  ``tally`` follows
    the packets read so far (by the slowest worker) and is complete once the iterator ends."""
    context = multiprocessing.get_context("fork")
    queues = [context.Queue(maxsize=64) for _ in range(workers)]
    with _spool_dir(None) as spool_dir:  # long connections' outputs, from every worker (deleted after them)
        options = {"relative": relative, "wanted": wanted, "brief": brief, "as_json": as_json, "spool_dir": spool_dir}
        processes = [
            context.Process(target=_worker, args=(str(path), share, workers, dict(options), queues[share]), daemon=True)
            for share in range(workers)
        ]
        for process in processes:
            process.start()
        progress = [0] * workers
        finals: list[Tally] = []
        damage: list[str] = []

        def reports(share: int) -> Iterator[Checked]:
            while True:
                try:
                    kind, payload, read = queues[share].get(timeout=1.0)
                except queue.Empty:
                    if not processes[share].is_alive():
                        status = processes[share].exitcode
                        raise RuntimeError(f"check worker {share} died (exit status {status})") from None
                    continue
                if kind == "error":  # every worker meets the same damage: the merge goes on to its end
                    damage.append(payload)
                    return
                if kind == "crash":
                    raise RuntimeError(f"check worker {share} failed:\n{payload}")
                if kind == "done":
                    finals.append(payload)
                    return
                progress[share] = read
                tally.packets = min(progress)
                yield from payload

        try:
            yield from heapq.merge(*(reports(share) for share in range(workers)), key=lambda c: c.order)
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()
    if damage:
        raise CaptureError(damage[0])
    final = finals[0]
    tally.packets, tally.tcp, tally.skipped = final.packets, final.tcp, final.skipped
    tally.connections, tally.captured_bytes, tally.links = final.connections, final.captured_bytes, final.links
