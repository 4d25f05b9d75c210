"""Colours, fonts and saving: one look for every diagram, deterministic files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...capture.outputs import replacing
from ...model.errors import TcpsimError
from ...sim.steps import steps
from ...sim.trace import Trace

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


def frame(fig: Figure, ax: Axes, title: str, *, top: float) -> None:
    """A graph's title above it, its top and right spines hidden, its ticks muted: one look for every graph."""
    fig.text(0.5, top, title, ha="center", va="top", fontsize=12, fontweight="bold", family=FONT["family"])
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.tick_params(colors=MUTED)


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


@dataclass(frozen=True, slots=True)
class Bound:
    """One end of the stretch of a run to draw: a time in seconds, or a step (as the demo counts them)."""

    time: float | None = None
    step: int | None = None

    @classmethod
    def parse(cls, text: str) -> Bound:
        """``1.5`` or ``1.5s``: a time; ``step:12``: the 12th step."""
        raw = text.strip().lower()
        try:
            if raw.startswith("step:"):
                step = int(raw[5:])
                if step < 1:
                    raise ValueError
                return cls(step=step)
            return cls(time=float(raw.removesuffix("s")))
        except ValueError:
            raise TcpsimError(f"{text!r} is neither a time in seconds (1.5) nor a step (step:12)") from None


@dataclass(frozen=True, slots=True)
class Look:
    """How a diagram is drawn for its reader: size in inches, font size, which stretch, which time axis."""

    width: float | None = None
    height: float | None = None
    font_size: float | None = None  # points, for the labels; the rest scales with it
    start: Bound | None = None
    end: Bound | None = None
    linear: bool = False  # the ladder's time axis in proportion, without cut quiet stretches

    @property
    def font_scale(self) -> float:
        return 1.0 if self.font_size is None else self.font_size / 8.0  # 8 points: an arrow's label

    def apply_fonts(self, fig: Figure) -> None:
        """Scale every text of ``fig`` to the asked font size."""
        from matplotlib.text import Text

        if self.font_size is None:
            return
        for text in fig.findobj(Text):
            text.set_fontsize(float(text.get_fontsize()) * self.font_scale)

    def span(self, trace: Trace) -> tuple[int, int] | None:
        """The indexes of the first and last event to draw, or None for the whole run."""
        if self.start is None and self.end is None:
            return None
        first = 0 if self.start is None else _index(trace, self.start, first=True)
        last = len(trace.events) - 1 if self.end is None else _index(trace, self.end, first=False)
        if first > last:
            raise TcpsimError("--from comes after --to: nothing to draw")
        return first, last


def _index(trace: Trace, bound: Bound, *, first: bool) -> int:
    events = trace.events
    if bound.step is not None:
        shown = steps(trace)
        if bound.step > len(shown):
            raise TcpsimError(f"step:{bound.step} is past the end: {trace.scenario} has {len(shown)} steps")
        step = shown[bound.step - 1]
        target = step.event if first or step.fate is None else step.fate
        return next(i for i, e in enumerate(events) if e is target)
    assert bound.time is not None
    if first:
        found = next((i for i, e in enumerate(events) if e.time >= bound.time), None)
    else:
        found = next((i for i in range(len(events) - 1, -1, -1) if events[i].time <= bound.time), None)
    if found is None:
        end = events[-1].time if events else 0.0
        raise TcpsimError(f"t={bound.time:g} s is outside the run, which lasts {end:g} s")
    return found
