"""Unit conversions: SI inside the simulator, file fields carry their unit in the name."""

NM = 1852.0
"""Metres per international nautical mile."""
FT = 0.3048
"""Metres per international foot."""
KT = NM / 3600.0
"""Metres per second per knot."""
MIN = 60.0
"""Seconds per minute."""
H = 3600.0
"""Seconds per hour."""
DAY = 86400.0
"""Seconds per day."""
KMH = 1000.0 / 3600.0
"""Metres per second per km/h."""


def nm_to_m(nm: float) -> float:
    """Nautical miles to metres."""
    return nm * NM


def ft_to_m(ft: float) -> float:
    """Feet to metres."""
    return ft * FT


def kt_to_mps(kt: float) -> float:
    """Knots to metres per second."""
    return kt * KT


def m_to_ft(m: float) -> float:
    """Metres to feet."""
    return m / FT
