"""Nothing tcpsim starts outlives the command that started it, however that command ends.

One mechanism for each way a command can end:

- SIGINT, SIGTERM, SIGHUP: ``ending_on_signals`` turns SIGTERM and SIGHUP into ``SystemExit``
  (Ctrl-C is already ``KeyboardInterrupt``), so every ``with`` block and ``finally`` runs:
  tcpdump is stopped, a namespace and its processes go, a check's workers are stopped, the
  temporary folders are removed.
- SIGKILL of the command, which no handler sees: each child asks the kernel to end it when its
  parent dies (Linux's ``PR_SET_PDEATHSIG``, prctl(2)). A program started with ``die_with_parent``
  (tcpdump, the user's command) is killed at once; a check's worker (``worker_dies_with_parent``)
  is sent SIGTERM and first removes the folder its parent would have removed.
- What no process was left to clean (a serial check or a live command killed by SIGKILL, what a
  killed command's children started): every temporary folder carries its owner's process id
  (``tcpsim-KIND-PID-...``), and ``sweep_folders`` removes those whose owner is gone.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# loaded now, in the parent: the child between fork and exec only calls it (no import, no dlopen there)
_PRCTL: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
_FOLDER = re.compile(r"^tcpsim-[a-z]+-(\d+)-")
_ENDING = (signal.SIGTERM, signal.SIGHUP)


# ------------------------------------------------------------------ children


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child is killed (SIGKILL) when this process dies."""
    parent = os.getpid()

    def arm() -> None:
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl: nobody would kill us
            os._exit(1)

    return arm


def worker_dies_with_parent(parent: int, folder: str) -> None:
    """In a worker process: when ``parent`` dies, however, remove ``folder`` and exit (on Linux;
    elsewhere a worker still ends when its parent ends it)."""

    def ended(signum: int, frame: FrameType | None) -> None:
        if os.getppid() != parent:  # the parent is gone: no one else will remove the folder
            shutil.rmtree(folder, ignore_errors=True)
        os._exit(128 + signum)  # at once: a queue's feeder thread would wait for a reader that is gone

    signal.signal(signal.SIGTERM, ended)
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:  # it died before the request was made
        ended(signal.SIGTERM, None)


def running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie has ended: only its exit status waits to be read)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's
    with suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


# ------------------------------------------------------------------ folders


def temporary_folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder whose name carries this process's id (``tcpsim-KIND-PID-xxxx``): removed when the
    block ends, or by the next command's ``sweep_folders`` if this process is killed."""
    return tempfile.TemporaryDirectory(prefix=f"tcpsim-{kind}-{os.getpid()}-")


def sweep_folders(root: Path | None = None) -> list[Path]:
    """Remove the temporary folders of tcpsim processes that no longer run; returns them."""
    base = Path(root or tempfile.gettempdir())
    gone = []
    with suppress(OSError):
        for entry in base.iterdir():
            match = _FOLDER.match(entry.name)
            if match and entry.is_dir() and not entry.is_symlink() and not running(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                gone.append(entry)
    return gone


# ------------------------------------------------------------------ signals


class _Ending:
    """Shared by nested ``ending_on_signals`` blocks: the handlers are installed once, by the outermost."""

    depth = 0
    signal: int | None = None


def _end(signum: int, frame: FrameType | None) -> None:
    if _Ending.signal is not None:  # already ending: let the cleanups finish
        return
    _Ending.signal = signum
    raise SystemExit(128 + signum)


@contextmanager
def ending_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the block as ``SystemExit(128 + signal)`` (so cleanups run); a second
    signal while cleaning up is ignored rather than cutting the cleanup short.  Blocks may nest; in
    a thread other than the main one (signals are the main thread's business) it changes nothing."""
    old: dict[int, object] = {}
    if _Ending.depth == 0:
        try:
            old = {signum: signal.signal(signum, _end) for signum in _ENDING}
        except ValueError:  # not the main thread
            yield
            return
        _Ending.signal = None
    _Ending.depth += 1
    try:
        yield
    finally:
        _Ending.depth -= 1
        if _Ending.depth == 0:
            for signum, handler in old.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]
