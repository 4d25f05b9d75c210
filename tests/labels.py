"""Where each text of a matplotlib figure lands, as drawn: for the test that no two labels overlap."""

import itertools
import math

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

SLACK = 0.5  # pixels two boxes may share (antialiasing at the edges)


def text_boxes(figure):
    """(text, corners) of every visible, non-empty text, in display pixels, after a full draw."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    undrawn = _ticks_outside_the_view(figure)
    out = []
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        out.append((text.get_text(), _corners(text, renderer)))
    return out


def _ticks_outside_the_view(figure):
    """Tick labels matplotlib keeps but does not draw (their tick lies outside the axis limits)."""
    out = set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            slack = (hi - lo) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - slack <= tick.get_loc() <= hi + slack:
                    out.update({id(tick.label1), id(tick.label2)})
    return out


def _corners(text, renderer):
    angle = text.get_rotation() % 360
    box = text.get_window_extent(renderer)
    if angle % 90 == 0 or text.get_rotation_mode() != "anchor":
        return [(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)]
    # rotated about its anchor point: measure it level, then turn the corners
    text.set_rotation(0)
    level = text.get_window_extent(renderer)
    text.set_rotation(angle)
    ax, ay = text.get_transform().transform(text.get_unitless_position())
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    corners = [(level.x0, level.y0), (level.x1, level.y0), (level.x1, level.y1), (level.x0, level.y1)]
    return [(ax + (x - ax) * c - (y - ay) * s, ay + (x - ax) * s + (y - ay) * c) for x, y in corners]


def _separated(p, q):
    """Separating-axis test for two convex quadrilaterals (with SLACK pixels of tolerance)."""
    for poly in (p, q):
        for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True):
            nx, ny = y1 - y0, x0 - x1
            norm = math.hypot(nx, ny) or 1.0
            a = [(x * nx + y * ny) / norm for x, y in p]
            b = [(x * nx + y * ny) / norm for x, y in q]
            if max(a) <= min(b) + SLACK or max(b) <= min(a) + SLACK:
                return True
    return False


def overlapping(figure):
    """Every pair of texts whose drawn boxes overlap."""
    boxes = text_boxes(figure)
    return [(a, b) for (a, p), (b, q) in itertools.combinations(boxes, 2) if not _separated(p, q)]


assert matplotlib  # imported for its side effect of being importable before the backend
