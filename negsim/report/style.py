"""The one style of every figure negsim draws: palette, fonts, interval drawing and axis labels, defined here only.

The palette is greyscale with one accent, the accent taken from the sequential colour map, so
that every colour on a page belongs to one family and prints in greyscale:

- one series (a probability per bar, a histogram, the differences of a compare, the named
  parameters of a screening) is drawn in :data:`ACCENT`;
- categories stacked or set side by side (how talks ended, causes of breakdowns) are
  :data:`FILLS` greys, each with its own hatch from :data:`HATCHES`;
- ordered levels (the lines of a sweep) take :func:`series_colours`, evenly spaced along
  :data:`SEQUENTIAL` (monotonic in lightness), each with its own line style and marker;
- a continuous field (a heatmap, a coloured scatter) uses :data:`SEQUENTIAL`;
- ink (text, edges, error bars, reference lines) is :data:`INK`; de-emphasised things
  (a dummy parameter, a noise floor, a note) are :data:`MUTED`; grid lines and frames :data:`FAINT`.

Every 95% interval of a point estimate is a capped error bar drawn with :data:`ERRORBAR`.
Axis labels are in sentence case, the unit or qualifier in parentheses; a probability axis is
in percent of replicates (:func:`percent_axis`).
"""

from __future__ import annotations

import functools

import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

#: the sequential colour map of fields and ordered levels
SEQUENTIAL = "viridis"
#: the one accent: a dark blue of the sequential map (about 45% lightness, a mid grey in print)
ACCENT = to_hex(matplotlib.colormaps[SEQUENTIAL](0.35))
INK = "#000000"
WHITE = "#ffffff"
#: text and marks that step back: notes, the dummy, the noise floor
MUTED = "#666666"
#: darker text of keys and empty panels
NOTE = "#404040"
#: grid lines, frames of keys and legends, connecting lines
FAINT = "#d9d9d9"
#: category fills, light to dark, used with :data:`HATCHES`
FILLS = ("#d1d1d1", "#999999", "#666666", "#404040", "#e6e6e6", "#b3b3b3", "#808080", "#262626")
HATCHES = ("//", "\\\\", "xx", "..", "--", "++", "oo", "||", "**", "OO")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 3)), (0, (3, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: every fixed colour of the palette (the sequential map's colours come on top)
PALETTE = (ACCENT, INK, WHITE, MUTED, NOTE, FAINT, *FILLS)
#: the font size of annotations: values on bars and cells, keys, notes
SMALL = 7
#: keyword arguments of every capped 95% interval (``ax.errorbar(..., **ERRORBAR)``; ``bar(..., error_kw=ERRORBAR)``)
ERRORBAR = {"capsize": 3, "capthick": 1.0, "elinewidth": 1.0, "ecolor": INK}
DPI = 150

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "figure.titlesize": 11,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "axes.facecolor": WHITE,
    "figure.facecolor": WHITE,
    "savefig.facecolor": WHITE,
    "axes.prop_cycle": matplotlib.cycler(color=[ACCENT, INK, MUTED]),
    "text.color": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "grid.color": FAINT,
    "grid.linewidth": 0.6,
    "legend.edgecolor": FAINT,
    "legend.facecolor": WHITE,
    "lines.color": INK,
    "patch.edgecolor": INK,
    "patch.facecolor": ACCENT,
    "hatch.color": INK,
    "hatch.linewidth": 0.6,
    "image.cmap": SEQUENTIAL,
    "errorbar.capsize": ERRORBAR["capsize"],
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


def rc():
    """A context in which matplotlib draws and saves in the house style (rc settings apply as artists are made and drawn)."""
    return matplotlib.rc_context(RC)


def styled(build):
    """Build a figure under the house style."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with rc():
            return build(*args, **kwargs)

    return wrapper


def figure(width: float, height: float, **kw) -> Figure:
    """A figure of the house size rules (inches, constrained layout)."""
    return Figure(figsize=(width, height), layout="constrained", **kw)


def render(fig: Figure, fmt: str = "png", dpi: int = DPI) -> bytes:
    """A figure drawn in the house style as the bytes of a ``png`` (at ``dpi``, :data:`DPI` for print), ``svg`` or ``pdf`` file.

    The vector formats carry no timestamp, so the same figure gives the same bytes.
    """
    import io

    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
    buf = io.BytesIO()
    with rc():
        fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
    return buf.getvalue()


def series_colours(n: int) -> list[str]:
    """``n`` colours for ordered series, evenly along the sequential map's dark three quarters (the light end is unreadable)."""
    cmap = matplotlib.colormaps[SEQUENTIAL]
    return [to_hex(cmap(v)) for v in np.linspace(0.0, 0.75, max(n, 1))]


def sequential(levels: int | None = None):
    """The sequential colour map, or ``levels`` colours of it for discrete values."""
    cmap = matplotlib.colormaps[SEQUENTIAL]
    return cmap.resampled(levels) if levels else cmap


def percent_axis(axis, decimals: int = 0) -> None:
    """Show a share (0 to 1) on ``axis`` (``ax.yaxis``, a colour bar's axis) in percent."""
    axis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=decimals))
