"""Labels that never cover each other: each movable label takes the first of its candidate
places where its drawn box (turned with the text) meets no box placed before it.

Boxes are measured with the figure's own renderer (Agg), after the figure has its final size
and fonts, so what is checked is what is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Bbox

Corners = list[tuple[float, float]]
GAP = 1.5  # pixels kept between two labels


def renderer(fig: Figure) -> RendererBase:
    """The renderer ``fig`` is drawn with (Agg, whatever the output format)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    r: RendererBase = canvas.get_renderer()  # type: ignore[no-untyped-call]
    return r


def corners(text: Text, r: RendererBase) -> Corners:
    """The four corners of ``text`` as drawn, in pixels (a turned label gives a turned box)."""
    angle = text.get_rotation() % 360
    box = text.get_window_extent(r)
    if angle % 90 == 0 or text.get_rotation_mode() != "anchor":
        return [(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)]
    text.set_rotation(0)
    level = text.get_window_extent(r)
    text.set_rotation(angle)
    ax, ay = text.get_transform().transform(text.get_unitless_position())
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    flat = [(level.x0, level.y0), (level.x1, level.y0), (level.x1, level.y1), (level.x0, level.y1)]
    return [(ax + (x - ax) * c - (y - ay) * s, ay + (x - ax) * s + (y - ay) * c) for x, y in flat]


def apart(p: Corners, q: Corners, gap: float = 0.0) -> bool:
    """True when the two convex quadrilaterals do not overlap (separating-axis test)."""
    for poly in (p, q):
        for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True):
            nx, ny = y1 - y0, x0 - x1
            norm = math.hypot(nx, ny) or 1.0
            a = [(x * nx + y * ny) / norm for x, y in p]
            b = [(x * nx + y * ny) / norm for x, y in q]
            if max(a) <= min(b) - gap or max(b) <= min(a) - gap:
                return True
    return False


@dataclass(slots=True)
class Placer:
    """Boxes already on the figure, and lines no label may lie across."""

    fig: Figure
    boxes: list[Corners] = field(default_factory=list)
    lines: list[Path] = field(default_factory=list)  # in pixels
    _r: RendererBase | None = None

    def __post_init__(self) -> None:
        self._r = renderer(self.fig)

    @property
    def renderer(self) -> RendererBase:
        assert self._r is not None
        return self._r

    def block_extent(self, box: Bbox) -> None:
        """Keep labels off this rectangle (in pixels)."""
        self.boxes.append([(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)])

    def block(self, text: Text) -> None:
        """``text`` stays where it is; others keep clear of it."""
        if text.get_text().strip():
            self.boxes.append(corners(text, self.renderer))

    def block_line(self, path: Path) -> None:
        """No label may be placed across ``path`` (given in pixels)."""
        self.lines.append(path)

    def free(self, text: Text) -> bool:
        box = corners(text, self.renderer)
        if any(not apart(box, other, GAP) for other in self.boxes):
            return False
        xs, ys = [x for x, _ in box], [y for _, y in box]
        bbox = Bbox.from_extents(min(xs), min(ys), max(xs), max(ys))
        return not any(line.intersects_bbox(bbox, filled=False) for line in self.lines)

    def place(self, text: Text, candidates: Sequence[tuple[float, float, float]]) -> bool:
        """Move ``text`` to the first free (x, y, rotation) of ``candidates``; True if one was free.

        With none free the text keeps the first candidate (a crowded figure still draws)."""
        if self._first_free(text, candidates):
            return True
        if candidates:
            self._put(text, candidates[0])
        self.block(text)
        return False

    def place_or_hide(self, text: Text, candidates: Sequence[tuple[float, float, float]]) -> bool:
        """Like ``place``, but a text that finds no free place is not drawn (for hints that
        the drawing says otherwise too, such as a retransmission's tag on its coloured bar)."""
        if self._first_free(text, candidates):
            return True
        text.set_visible(False)
        return False

    def _first_free(self, text: Text, candidates: Sequence[tuple[float, float, float]]) -> bool:
        """Try each candidate in turn; at the first free one, block it and say so."""
        for candidate in candidates:
            self._put(text, candidate)
            if self.free(text):
                self.block(text)
                return True
        return False

    @staticmethod
    def _put(text: Text, candidate: tuple[float, float, float]) -> None:
        x, y, rotation = candidate
        text.set_position((x, y))
        text.set_rotation(rotation)
