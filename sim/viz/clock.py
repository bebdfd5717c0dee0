"""Times of a run: UTC clock times, the frames of a replay, and its ``--from``/``--to`` window."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

import numpy as np

from sim.viz.errors import ReplayError

__all__ = ["frame_times", "parse_window", "utc_at"]


def utc_at(start_iso: str, t_s: float) -> datetime:
    """The UTC time ``t_s`` seconds after ``start_iso``.

    Examples
    --------
    >>> utc_at("2015-11-17T00:00:00Z", 3600 * 9.5).strftime("%H:%M")
    '09:30'
    """
    start = datetime.fromisoformat(start_iso.replace("Z", "+00:00"))
    return start + timedelta(seconds=float(t_s))


def frame_times(start_s: float, end_s: float, step_s: float) -> np.ndarray:
    """Frame times ``start_s, start_s + step_s, ...`` before ``end_s`` (at least one).

    Examples
    --------
    >>> frame_times(0, 3600, 60).size
    60
    >>> frame_times(600, 630, 60).tolist()
    [600.0]
    """
    if step_s <= 0:
        raise ReplayError(f"step must be > 0 s, got {step_s}")
    if end_s < start_s:
        raise ReplayError(f"end ({end_s} s) is before start ({start_s} s)")
    n = max(1, math.ceil((end_s - start_s) / step_s - 1e-9))
    return start_s + step_s * np.arange(n, dtype=float)


_CLOCK = re.compile(r"^(\+)?(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")


def parse_window(
    from_text: str | None, to_text: str | None, start_iso: str, duration_s: float
) -> tuple[float, float]:
    """Turn ``--from`` / ``--to`` into seconds since the run start.

    ``HH:MM`` (or ``HH:MM:SS``) is a UTC time of day: its first occurrence at or after the
    run start (``--to`` at or before ``--from`` means the next day). ``+HH:MM`` is time
    elapsed since the run start. ``--to`` beyond the end of the run stops at the end.

    Raises
    ------
    ReplayError
        If a time is malformed, ``--from`` is not inside the run, or the window is empty.

    Examples
    --------
    >>> parse_window("09:10", "+00:30", "2015-10-10T09:00:00Z", 3600)
    (600.0, 1800.0)
    >>> parse_window(None, "23:00", "2015-11-17T22:00:00Z", 86400)
    (0.0, 3600.0)
    """
    start = utc_at(start_iso, 0)
    start_tod = start.hour * 3600 + start.minute * 60 + start.second

    def parse(option: str, text: str, after: float) -> float:
        m = _CLOCK.match(text.strip())
        if m is None:
            raise ReplayError(
                f"{option}: expected HH:MM (UTC) or +HH:MM (after the start), got {text!r}"
            )
        seconds = int(m[2]) * 3600 + int(m[3]) * 60 + int(m[4] or 0)
        if m[1]:
            return float(seconds)
        if seconds >= 86400:
            raise ReplayError(
                f"{option}: {text!r} is not a time of day (use +HH:MM for time after the start)"
            )
        t = float((seconds - start_tod) % 86400)
        while t <= after:
            t += 86400.0
        return t

    end_clock = f"{utc_at(start_iso, duration_s):%d %b %H:%M}"
    span = f"the run is {start:%d %b %H:%M} to {end_clock} UTC"
    t0 = 0.0 if from_text is None else parse("--from", from_text, -1.0)
    if t0 >= duration_s:
        raise ReplayError(f"--from {from_text} is after the end of the run ({span})")
    t1 = duration_s if to_text is None else parse("--to", to_text, t0)
    if t1 <= t0:
        raise ReplayError(f"--to {to_text} is not after --from {from_text or '(start)'}")
    return t0, min(t1, duration_s)
