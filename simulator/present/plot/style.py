"""Colours, fonts and saving: one look for every diagram, deterministic files."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from ...capture.outputs import replacing
from ...model.errors import TcpsimError

# Okabe-Ito: told apart by colour-blind readers; each endpoint also gets its own
# line style so that a greyscale print still separates them.
ENDPOINT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
ENDPOINT_STYLES = ("-", "--", "-.", ":", "-", "--")
LOST = "#000000"
MUTED = "#777777"
FONT = {"family": "DejaVu Sans", "size": 9}
FORMATS = (".svg", ".png", ".pdf")


def colour(index: int) -> str:
    return ENDPOINT_COLOURS[index % len(ENDPOINT_COLOURS)]


def line_style(index: int) -> str:
    return ENDPOINT_STYLES[index % len(ENDPOINT_STYLES)]


def save(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as SVG, PNG or PDF (by extension), with nothing that changes run to run."""
    import matplotlib

    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise TcpsimError(f"{path}: the diagram must be .svg, .png or .pdf")
    metadata: dict[str, str | None] = {"Date": None, "Creator": "tcpsim"} if path.suffix != ".png" else {}
    if path.suffix == ".pdf":
        metadata["CreationDate"] = None
        metadata.pop("Date")
    with (
        matplotlib.rc_context({"svg.hashsalt": "tcpsim", "svg.fonttype": "path", "pdf.compression": 6}),
        replacing(path) as temporary,
    ):
        try:
            dpi = 150 if path.suffix == ".png" else "figure"
            figure.savefig(temporary, metadata=metadata, dpi=dpi, format=path.suffix.lower().lstrip("."))
        except OSError as exc:
            raise TcpsimError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
