"""Sizes and speeds, in one convention everywhere: IEC binary units (KiB, MiB, GiB).

Binary, because the limits a person checks a file against are binary: PyPI refuses a file over
100 MiB (``100 * 1024 * 1024`` bytes) and a project over 10 GiB. A size said as "209.7 MB" next
to a limit of "100 MiB" invites the wrong sum; said as "200.0 MiB" it does not. The IEC names
(with the ``i``) say which convention this is, so no figure can be read the other way.
"""

from __future__ import annotations

_STEP = 1024
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def scale(size: float) -> tuple[int, str]:
    """The divisor and unit name that show ``size`` with at most four figures before the point."""
    divisor = 1
    for unit in _UNITS:
        if size < _STEP * divisor or unit == _UNITS[-1]:
            return divisor, unit
        divisor *= _STEP
    return divisor, _UNITS[-1]  # pragma: no cover (the loop always returns)


def figure(size: float, divisor: int) -> str:
    """``size`` in units of ``divisor``: whole bytes, else one decimal."""
    return f"{size:.0f}" if divisor == 1 else f"{size / divisor:.1f}"


def human_size(size: float) -> str:
    """``948 B``, ``1.2 KiB``, ``200.0 MiB``."""
    divisor, unit = scale(size)
    return f"{figure(size, divisor)} {unit}"


def human_speed(bytes_per_second: float) -> str:
    """``12.3 MiB/s``."""
    return f"{human_size(bytes_per_second)}/s"


def human_part(done: float, total: float) -> str:
    """``209.7/471.9 MiB``: both figures in the total's unit, so the pair reads at a glance."""
    divisor, unit = scale(total)
    return f"{figure(done, divisor)}/{figure(total, divisor)} {unit}"
