"""The two-column ladder of `tcpsim compare`: the capture on the left, the model on the right.

One row per aligned segment (the rows of ``simulator.capture.compare``), an arrow from
the sender's line to the receiver's with its label; a row where the two differ
is shaded and its labels drawn in the warning colour, a missing segment is a
dotted gap with "(none)".
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...capture.compare import Key, Row
from .style import MUTED, colour

DIFFERENT = "#D55E00"
SHADE = "#F6E3D8"
SIZE = 9  # the font size of the other diagrams (style.FONT)


def figure(rows: list[Row], *, left: str = "capture", right: str = "model") -> Figure:
    height = 1.4 + 0.32 * max(len(rows), 1)
    fig = Figure(figsize=(11, height))
    axes = fig.subplots(1, 2, sharey=True)
    agree = sum(row.same for row in rows)
    fig.suptitle(f"{left} (left) and {right} (right): {agree} of {len(rows)} rows agree", fontsize=SIZE + 2)
    for ax, title, side in ((axes[0], left, 0), (axes[1], right, 1)):
        ax.set_title(title, fontsize=SIZE + 1)
        ax.set_xlim(-0.15, 1.15)
        ax.set_ylim(len(rows) + 0.2, -0.8)
        ax.axis("off")
        for x, name in ((0.0, "client"), (1.0, "server")):
            ax.plot([x, x], [-0.4, len(rows)], color=colour(int(x)), linewidth=1.5)
            ax.text(x, -0.6, name, ha="center", fontsize=SIZE, color=colour(int(x)))
        for y, row in enumerate(rows):
            if not row.same:
                ax.axhspan(y - 0.45, y + 0.45, color=SHADE, zorder=0)
            _arrow(ax, y, row.captured if side == 0 else row.simulated, row.same)
    fig.subplots_adjust(left=0.03, right=0.97, top=1 - 0.9 / height, bottom=0.2 / height, wspace=0.08)
    return fig


def _arrow(ax: Axes, y: float, key: Key | None, same: bool) -> None:
    text_colour = "black" if same else DIFFERENT
    if key is None:
        ax.plot([0.1, 0.9], [y, y], linestyle=":", color=MUTED)
        ax.text(0.5, y - 0.08, "(none)", ha="center", va="bottom", fontsize=SIZE - 1, color=text_colour)
        return
    start, end = (0.0, 1.0) if key.from_client else (1.0, 0.0)
    ax.annotate(
        "",
        xy=(end, y + 0.25),
        xytext=(start, y - 0.25),
        arrowprops={"arrowstyle": "->", "color": colour(0 if start == 0.0 else 1), "linewidth": 1.2},
    )
    ax.text(
        0.5,
        y - 0.05,
        key.label(empty_length=False),
        ha="center",
        va="bottom",
        fontsize=SIZE - 1,
        color=text_colour,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8},
    )
