"""MkDocs hook: build files that live elsewhere in the repository into the site, without copying them into docs/.

- `notebooks/*.ipynb`, which mkdocs-jupyter renders as pages (as stored: without outputs, and not
  executed at build time). The instructor copies, with the answers, are left out.
- `diagrams/*.svg`, so a page can show one as `![...](../diagrams/NAME.svg)`.
- `CHANGELOG.md`.

Each keeps its path in the repository as its path in the site (`notebooks/01_three_way_handshake.ipynb`
is the page `notebooks/01_three_way_handshake/`), and is read from the repository itself: a page links
to it as if `docs/` held it.

`mkdocs serve` watches those files too.
"""

from __future__ import annotations

import pathlib
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Paths in the repository, as globs; the instructor copies are in notebooks/instructor/, which "*" does not reach.
SOURCES = ["notebooks/*.ipynb", "diagrams/*.svg", "CHANGELOG.md"]


def _paths() -> list[str]:
    return [path.relative_to(ROOT).as_posix() for glob in SOURCES for path in sorted(ROOT.glob(glob))]


# Before mkdocs-jupyter's own on_files (priority 0), which wraps each notebook as a page.
@event_priority(100)
def on_files(files: Files, config: Any) -> Files:
    for path in _paths():
        files.append(File(path, str(ROOT), config["site_dir"], config["use_directory_urls"]))
    return files


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    for path in _paths():
        server.watch(str(ROOT / path))
    return server
