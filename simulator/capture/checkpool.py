"""``tcpsim check`` on one core or several: connections are independent, so each worker process
checks a share of the same capture's connections and the reports merge back in the serial order.

Each worker reads every record of the file, but follows only its share of the 4-tuples (a
hash of the two addresses and ports) and passes over the other packets once it has found their
ports.  It checks and renders its connections, so what crosses between processes is finished
text, not packets, with the headings left to the parent: a worker cannot number its connections
(the number counts every share's), so it says where each began and the parent numbers them
(``_Numbers``).  The order key from ``checker.checked_in_order`` makes the merged output
byte-identical to a single process's.
"""

from __future__ import annotations

import bisect
import heapq
import json
import multiprocessing
import os
import queue
import shutil
import tempfile
import traceback
from array import array
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from ..model.errors import TcpsimError
from ..system.lifetime import sweep_folders, temporary_folder, worker_dies_with_parent
from .checker import SWEEP, ConnectionReport, Heading, checked_in_order, packet_lines
from .connections import Connection, Share, Tally
from .reader import CaptureError
from .spool import Spool, temporary_files

BATCH = 1 << 20  # characters of reports sent to the parent at a time (fewer, larger messages cost less)
QUEUED = 8  # batches a worker may have waiting for the parent
PARALLEL_FROM = 4_000_000  # bytes: smaller captures are checked in one process (starting workers costs more)
MOST_WORKERS = 8  # each still reads every record, so more gains little (see docs/benchmarks.md and benchmarks/check.py)


class Checked(NamedTuple):
    """One connection's finished report, ready to print (a named tuple: workers send these to the parent
    by the hundred thousand, and tuples pickle several times faster than dataclasses)."""

    order: tuple[int, int]
    heading: Heading
    as_json: bool
    output: str  # the rendered packets, as text or JSON (indented to sit in the capture's list)
    spooled: str | None = None  # a long connection's output is in this file instead ("output" is empty)
    number: int = 0  # the connection's number in the capture (given by the parent when workers check it)

    @property
    def conforms(self) -> bool:
        return self.heading.conforms

    @property
    def packets(self) -> int:
        return self.heading.packets

    def write(self, out: TextIO) -> None:
        """Print the report (a spooled one's packets are copied from its file, which is then deleted)."""
        if self.as_json:
            head = json.dumps(self.heading.to_json(self.number), indent=2)[:-2]  # without the closing "\n}"
            out.write("    " + head.replace("\n", "\n    ") + ',\n      "packets": [')
        else:
            out.write("\n".join(self.heading.lines(self.number)))
        if self.spooled is None:
            out.write(self.output)
            return
        with open(self.spooled, encoding="utf-8") as f:
            shutil.copyfileobj(f, out)
        os.unlink(self.spooled)


def _finish(order: tuple[int, int], report: ConnectionReport, brief: bool, as_json: bool, spool_dir: str) -> Checked:
    # made here, in the worker: the parent only prints
    heading = report.heading
    if not isinstance(report.packets, Spool):
        output = "".join(_json_pieces(report)) if as_json else "\n" + "\n".join(packet_lines(report, brief=brief))
        return Checked(order, heading, as_json, output, number=report.number)
    # a long connection: its output goes to a file, line by line, as its reports came from one
    with temporary_files():
        fd, name = tempfile.mkstemp(dir=spool_dir, suffix=".txt")
        with open(fd, "w", encoding="utf-8") as f:
            if as_json:
                f.writelines(_json_pieces(report))
            else:
                f.writelines("\n" + line for line in packet_lines(report, brief=brief))
    report.packets.close()
    return Checked(order, heading, as_json, "", name, number=report.number)


def _json_pieces(report: ConnectionReport) -> Iterator[str]:
    """A connection's packets as JSON, indented to sit in the capture's list, with one line per packet
    (``json`` writes a one-line value several times faster than an indented one)."""
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
    share: Share | None = None,
) -> Generator[Checked, None, None]:
    """Every wanted connection's finished report (of ``share``'s connections only, if given: then
    their numbers are 0), checked in this process.  A long connection's output is in a file in
    ``spool_dir`` (by default a temporary directory that lasts as long as this iterator): print
    each report before taking the next."""
    with _spool_dir(spool_dir) as directory:
        for order, report in checked_in_order(path, tally, relative=relative, wanted=wanted, share=share):
            yield _finish(order, report, brief, as_json, directory)


@contextmanager
def _spool_dir(given: str | None) -> Iterator[str]:
    if given is not None:
        yield given
        return
    with temporary_files():
        sweep_folders()  # the folders of checks killed where nothing was left to remove them
        temporary = temporary_folder("check")
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


def _worker(path: str, index: int, workers: int, options: dict[str, Any], out: Any, parent: int) -> None:
    worker_dies_with_parent(parent, options["spool_dir"])  # a killed check leaves no worker blocked for ever
    tally = Tally()
    share = Share(index, workers, sweep_every=SWEEP)
    batch: list[tuple[Any, ...]] = []  # the reports as plain tuples (_plain)
    size = 0  # characters in the batch (a report in a file counts as a line)

    def send(final: Tally | str | None = None) -> None:
        starts = share.starts.copy()
        share.starts.clear()  # the reader appends to this list
        progress = _Progress(tally.packets, starts, share.oldest_open)
        out.put(("reports" if final is None else "done", batch, progress, final))

    try:
        for checked in check_serial(path, tally, share=share, **options):
            batch.append(_plain(checked))
            size += len(checked.output) + 100
            if size >= BATCH:
                send()
                batch, size = [], 0
        send(tally)
    except TcpsimError as exc:  # after the reports of what came before the damage
        send(str(exc))
    except KeyboardInterrupt:
        pass
    except Exception:  # a bug: its traceback goes to the parent, which raises it
        out.put(("crash", [], None, traceback.format_exc()))


def _plain(checked: Checked) -> tuple[Any, ...]:
    """A report as plain tuples, to send to the parent: a named tuple pickles through a Python call (its
    ``__getnewargs__``), a plain one in C alone (in all, a report crosses in about half the time)."""
    return (checked[0], tuple(checked.heading), *checked[2:])


def _named(plain: tuple[Any, ...]) -> Checked:
    """``_plain``'s report back as it was (``Checked(*plain)`` without the named tuples' ``__new__``)."""
    return _tuple_new(Checked, (plain[0], _tuple_new(Heading, plain[1]), *plain[2:]))


_tuple_new = tuple.__new__


@dataclass(frozen=True, slots=True)
class _Progress:
    """How far a worker has got, sent with each batch of its reports."""

    packets: int  # the packets it has read
    starts: list[int]  # the first packet of each connection of its share begun since its last batch
    oldest_open: int  # its reports still to come are of connections that began at this packet or later


class _Numbers:
    """Connection numbers across workers.  A connection's number counts the connections, in every
    share, that began at or before its first packet.  Those that began before every report still
    to come are kept as a count, not a list: what is kept is 8 bytes for each connection begun
    since the oldest one still open."""

    def __init__(self, workers: int) -> None:
        self.starts = [array("q") for _ in range(workers)]  # each worker's, in order
        self.low = [0] * workers  # each worker's reports still to come began here or later
        self.before = 0  # connections that began before every report still to come

    def add(self, share: int, progress: _Progress, batch: list[Checked]) -> None:
        self.starts[share].extend(progress.starts)
        self.low[share] = min([progress.oldest_open, *(checked.order[1] for checked in batch)])
        low = min(self.low)
        for starts in self.starts:
            passed = bisect.bisect_left(starts, low)
            self.before += passed
            del starts[:passed]

    def number(self, first: int) -> int:
        """The number of the connection whose first packet is ``first`` (every worker has read past it)."""
        return self.before + sum(bisect.bisect_right(starts, first) for starts in self.starts)


def check_parallel(
    path: str | Path,
    tally: Tally,
    *,
    workers: int,
    relative: bool = True,
    wanted: Callable[[Connection], bool] = lambda conn: True,
    brief: bool = False,
    as_json: bool = False,
) -> Generator[Checked, None, None]:
    """``check_serial``'s reports, in the same order, from ``workers`` processes.  ``tally`` follows
    the packets read so far (by the slowest worker) and is complete once the iterator ends.
    ``wanted`` may not ask for a connection's number: a worker does not know it."""
    context = multiprocessing.get_context("fork")
    queues = [context.Queue(maxsize=QUEUED) for _ in range(workers)]
    with _spool_dir(None) as spool_dir:  # long connections' outputs, from every worker (deleted after them)
        options = {"relative": relative, "wanted": wanted, "brief": brief, "as_json": as_json, "spool_dir": spool_dir}
        parent = os.getpid()
        processes = [
            context.Process(
                target=_worker, args=(str(path), share, workers, dict(options), queues[share], parent), daemon=True
            )
            for share in range(workers)
        ]
        for process in processes:
            process.start()
        progress = [0] * workers
        numbers = _Numbers(workers)
        finals: list[Tally] = []
        damage: list[str] = []

        def reports(share: int) -> Iterator[Checked]:
            while True:
                try:
                    kind, plain, read, final = queues[share].get(timeout=1.0)
                except queue.Empty:
                    if not processes[share].is_alive():
                        status = processes[share].exitcode
                        raise RuntimeError(f"check worker {share} died (exit status {status})") from None
                    continue
                if kind == "crash":
                    raise RuntimeError(f"check worker {share} failed:\n{final}")
                batch = list(map(_named, plain))
                numbers.add(share, read, batch)
                progress[share] = read.packets
                tally.packets = min(progress)
                yield from batch
                if kind == "done":
                    # every worker meets the same damage, after its reports: the merge goes on to its end
                    (damage if isinstance(final, str) else finals).append(final)
                    return

        try:
            for checked in heapq.merge(*(reports(share) for share in range(workers)), key=lambda c: c.order):
                yield checked._replace(number=numbers.number(checked.order[1]))
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()
    if damage:
        raise CaptureError(damage[0])
    # every worker read every packet; each followed its own connections
    tally.packets, tally.skipped = finals[0].packets, finals[0].skipped
    tally.captured_bytes, tally.links, tally.unread = finals[0].captured_bytes, finals[0].links, finals[0].unread
    tally.tcp = sum(final.tcp for final in finals)
    tally.connections = sum(final.connections for final in finals)
