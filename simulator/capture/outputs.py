"""Writing an output file so that a failure leaves the old one exactly as it was.

Every command that writes a file (a capture, a diagram, a scenario) writes it beside its target
under a temporary name and renames it into place only once it is whole (``os.replace`` is atomic
on one file system).  A command that fails half-way, or is stopped, leaves no half-written file
behind and never truncates the one it was to replace.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..model.errors import TcpsimError


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` if the block succeeds."""
    target = Path(path)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent or ".")
    except OSError as exc:
        raise TcpsimError(f"cannot write {target}: {exc.strerror or exc}") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    except OSError as exc:
        raise TcpsimError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        with suppress(FileNotFoundError):
            temporary.unlink()
