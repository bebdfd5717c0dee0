"""The probability that a pass enters a cylinder when both aircraft carry position error.

A *pass* is a pair of straight legs flown at the same time (the unit the encounter detector
solves). Over the common window ``[t_s, t_s + T]`` the planned relative position is
``r(t) = p + v (t - t_s)`` (3-D, metres). Each aircraft's flown position is its planned one
plus an error that is constant along the leg: ``y`` across the track, an along-track timing
error ``tau`` (the aircraft is where its plan has it at ``t + tau``, i.e. displaced by
``tau`` times its velocity) and ``z`` vertically, independent zero-mean normals. The
relative error ``E`` is then one constant Gaussian vector with covariance
``Sigma = Sigma_a + Sigma_b``, ``Sigma_leg = sd_tau^2 u u' + sd_y^2 n n' + sd_z^2 k k'``
(``u`` the leg's velocity, ``n`` its horizontal unit normal, ``k`` the vertical), and the
pass enters the cylinder of radius ``R`` and half-height ``H`` when

    for some t in [0, T]:  |r_h(t) + E_h| < R  and  |r_z(t) + E_z| < H.

:func:`pass_probability` computes that probability without sampling. In the frame of the
relative ground velocity (``d`` across it, ``a`` along it, ``z`` up) the error is written
through the Cholesky factor of its covariance, ``E = L g`` with ``g`` standard normal:

- across: ``x = d_0 + L11 g1`` must satisfy ``|x| < R``; the disc then spans
  ``|a| < w = sqrt(R^2 - x^2)`` along the relative track, so the pair is horizontally inside
  for ``t`` in ``((-w - a_0 - e_a) / s, (w - a_0 - e_a) / s)`` (``s`` the relative ground
  speed) clipped to ``[0, T]``, which is non-empty exactly when ``e_a`` lies in
  ``(-w - a_0 - sT, w - a_0)``;
- on that sub-window the vertical separation ``p_z + v_z t + e_z`` is linear in ``t``, so
  the pair is inside when ``e_z`` lies between ``-H - max`` and ``H - min`` of
  ``p_z + v_z t`` over it. Both bounds are linear in ``e_a`` on each of the three pieces
  between the points where the sub-window stops being clipped.

Given ``g1``, the integral over ``g2`` (along) of the normal probability in ``g3`` (vertical)
is a bivariate normal probability, computed in closed form (Owen's T). The outer integral over
``g1`` is Gauss-Legendre quadrature in ``x = R sin(theta)`` (which removes the square-root
behaviour of ``w`` at the rim), within eight standard deviations of the planned miss, split
at the points where the along-track limits cross their conditional mean (found in closed
form), so each piece is smooth. When neither leg climbs, the vertical part does not depend on
time or on the horizontal error and the result is ``P_h * P_v`` with
``P_v = Phi((H - p_z) / sd_z) - Phi((-H - p_z) / sd_z)``. For a long pass ``P_h`` reduces to
the lateral overlap of the collision risk model, ``Phi((R - d_0) / sd_d) - Phi((-R - d_0) /
sd_d)`` (``sd_d`` the error across the relative track), which the tests use as an
independent check, together with Monte Carlo.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, owens_t

__all__ = ["bivariate_normal_cdf", "interval_probability", "leg_covariance", "pass_probability"]

_JITTER_M2 = 1e-6
"""Added to the covariance diagonal (1 mm standard deviation) so it always factorises."""
_STILL_MPS = 1e-9
"""Relative ground speeds below this are treated as zero (the separation is constant)."""
_TAIL = 8.0
"""Standard deviations either side of the planned miss integrated across the track."""
_NODES = 8
"""Gauss-Legendre nodes per piece of the integral across the track."""
_STEPS = (-4.0, -2.0, 0.0, 2.0, 4.0)
"""Break points of the integral across the track, in standard deviations from the planned miss
(each piece then spans at most a few standard deviations)."""
_CHUNK = 2048
"""(pass, cylinder) items handled per vectorised step."""
_BIG = 40.0
"""Standardised arguments are clipped to +-this (Phi is 0 or 1 in double precision there)."""


def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n)
    return (x + 1.0) / 2.0, w / 2.0


_X, _W = _gauss_legendre(_NODES)


def interval_probability(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``Phi(hi) - Phi(lo)`` for a standard normal, accurate in both tails (0 if hi <= lo).

    Examples
    --------
    >>> float(interval_probability(np.array(-1.96), np.array(1.96)).round(4))
    0.95
    >>> float(interval_probability(np.array(9.0), np.array(10.0))) > 0
    True
    """
    lo, hi = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
    upper = lo > 0  # both ends in the upper tail: take the difference there
    out = np.empty(lo.shape)
    out[upper] = ndtr(-lo[upper]) - ndtr(-hi[upper])
    lower = ~upper
    out[lower] = ndtr(hi[lower]) - ndtr(lo[lower])
    return np.maximum(out, 0.0)


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``P(X < h, Y < k)`` for standard normals with correlation ``rho`` (Owen's T form).

    Examples
    --------
    >>> round(float(bivariate_normal_cdf(np.array(0.0), np.array(0.0), np.array(0.5))), 6)
    0.333333
    """
    h, k, rho = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (h, k, rho)))
    return _cdf(_End(h), _Correlated(k, rho))


class _End:
    """One argument ``h`` of :func:`bivariate_normal_cdf`, clipped, with what depends on it
    alone (shared by the terms that have this end).
    """

    __slots__ = ("h", "h0", "nh")

    def __init__(self, h: np.ndarray) -> None:
        self.h = np.clip(h, -_BIG, _BIG)
        self.h0 = np.where(self.h == 0.0, 1e-100, self.h)
        self.nh = ndtr(self.h)


class _Correlated:
    """The other argument ``k`` and the correlation ``rho``, with what depends on them alone
    (shared by the terms that differ only in ``h``).
    """

    __slots__ = ("k", "rho", "s", "degenerate", "k0", "nk")

    def __init__(self, k: np.ndarray, rho: np.ndarray) -> None:
        self.k = np.clip(k, -_BIG, _BIG)
        self.rho = np.clip(rho, -1.0, 1.0)
        s = np.sqrt(np.maximum(1.0 - self.rho * self.rho, 0.0))
        self.degenerate = s < 1e-9
        self.s = np.where(self.degenerate, 1.0, s)
        self.k0 = np.where(self.k == 0.0, 1e-100, self.k)
        self.nk = ndtr(self.k)


def _cdf(end: _End, c: _Correlated) -> np.ndarray:
    """:func:`bivariate_normal_cdf` of prepared arguments (same shape)."""
    h, h0, k, k0, rho, s = end.h, end.h0, c.k, c.k0, c.rho, c.s
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        t = owens_t(h0, (k0 - rho * h0) / (h0 * s)) + owens_t(k0, (h0 - rho * k0) / (k0 * s))
    half = np.where((h0 * k0 < 0) | ((h0 * k0 == 0) & (h0 + k0 < 0)), 0.5, 0.0)
    out = 0.5 * (end.nh + c.nk) - t - half
    if c.degenerate.any():  # |rho| = 1: the limit of the formula
        limit = np.where(rho > 0, ndtr(np.minimum(h, k)), np.maximum(end.nh - ndtr(-k), 0.0))
        out = np.where(c.degenerate, limit, out)
    return np.clip(out, 0.0, 1.0)


def leg_covariance(
    velocity: np.ndarray, lateral_m: np.ndarray, along_s: np.ndarray, vertical_m: np.ndarray
) -> np.ndarray:
    """Covariance (n, 3, 3) of the position error of legs with these velocities and sds.

    ``along_s`` is a timing error, so it displaces the aircraft along its 3-D velocity; the
    lateral error is across the horizontal track (both horizontal axes if the leg does not
    move horizontally).

    Examples
    --------
    >>> c = leg_covariance(np.array([[200.0, 0, 0]]), np.array([100.0]), np.array([2.0]),
    ...                    np.array([30.0]))
    >>> np.sqrt(np.diag(c[0])).round(1).tolist()
    [400.0, 100.0, 30.0]
    """
    v = np.asarray(velocity, dtype=float).reshape(-1, 3)
    lat, along, vert = (
        np.asarray(a, dtype=float).reshape(-1) for a in (lateral_m, along_s, vertical_m)
    )
    speed_h = np.hypot(v[:, 0], v[:, 1])
    moving = speed_h > _STILL_MPS
    safe = np.where(moving, speed_h, 1.0)
    n = np.stack([-v[:, 1] / safe, v[:, 0] / safe, np.zeros_like(safe)], axis=1)
    cov = along[:, None, None] ** 2 * v[:, :, None] * v[:, None, :]
    cov += np.where(moving, lat**2, 0.0)[:, None, None] * n[:, :, None] * n[:, None, :]
    still = np.where(moving, 0.0, lat**2)
    cov[:, 0, 0] += still
    cov[:, 1, 1] += still
    cov[:, 2, 2] += vert**2
    return cov


def pass_probability(
    p: np.ndarray,
    v: np.ndarray,
    cov: np.ndarray,
    span_s: np.ndarray,
    radius_m: np.ndarray,
    half_m: np.ndarray,
) -> np.ndarray:
    """Probability that each pass enters each cylinder (see the module text for the method).

    Parameters
    ----------
    p, v : (n, 3) arrays
        Planned relative position at the window start and relative velocity (m, m/s).
    cov : (n, 3, 3) array
        Covariance of the relative position error (m^2).
    span_s : (n,) array
        Length of the common window (s), >= 0.
    radius_m, half_m : (n, k) arrays
        Cylinders per pass (radius and half-height, m; broadcastable to (n, k)).

    Returns
    -------
    (n, k) array of probabilities.

    Examples
    --------
    Two level aircraft crossing with a planned miss of 0 m, relative error 100 m across
    the track and 50 ft vertically, at the same altitude:

    >>> cov = np.diag([100.0**2, 100.0**2, (50 * 0.3048) ** 2])[None]
    >>> prob = pass_probability(np.array([[-30000.0, 0, 0]]), np.array([[300.0, 0, 0]]),
    ...                         cov, np.array([200.0]), np.array([[152.4]]),
    ...                         np.array([[30.48]]))
    >>> round(float(prob[0, 0]), 3)  # P(|N(0,100)| < 152.4) * P(|N(0,15.24)| < 30.48)
    0.833
    """
    p = np.asarray(p, dtype=float).reshape(-1, 3)
    n = p.shape[0]
    v = np.asarray(v, dtype=float).reshape(n, 3)
    span = np.maximum(np.asarray(span_s, dtype=float).reshape(n), 0.0)
    k = np.shape(radius_m)[-1] if np.ndim(radius_m) else 1
    radius = np.broadcast_to(np.asarray(radius_m, dtype=float), (n, k))
    half = np.broadcast_to(np.asarray(half_m, dtype=float), (n, k))
    frame = _frame(p, v, np.asarray(cov, dtype=float).reshape(n, 3, 3), span)
    out = np.zeros((n, k))
    rows, cols = np.divmod(np.arange(n * k), k)
    for s in range(0, rows.size, _CHUNK):
        r, c = rows[s : s + _CHUNK], cols[s : s + _CHUNK]
        out[r, c] = _items(frame, r, radius[r, c], half[r, c])
    return out


class _Frame:
    """Per pass: the geometry in the relative-velocity frame and the error's Cholesky factor."""

    __slots__ = ("a0", "d0", "pz", "speed", "length", "vz", "span", "chol", "level")

    def __init__(self, **kw: np.ndarray) -> None:
        for key, val in kw.items():
            setattr(self, key, val)


def _frame(p: np.ndarray, v: np.ndarray, cov: np.ndarray, span: np.ndarray) -> _Frame:
    speed = np.hypot(v[:, 0], v[:, 1])
    moving = speed > _STILL_MPS
    safe = np.where(moving, speed, 1.0)
    e1x, e1y = np.where(moving, v[:, 0] / safe, 1.0), np.where(moving, v[:, 1] / safe, 0.0)
    a0 = p[:, 0] * e1x + p[:, 1] * e1y
    d0 = -p[:, 0] * e1y + p[:, 1] * e1x
    sign = np.where(d0 < 0, -1.0, 1.0)  # orient "across" so that the planned miss is >= 0
    zero, one = np.zeros_like(e1x), np.ones_like(e1x)
    rot = np.stack(
        [
            np.stack([-e1y * sign, e1x * sign, zero], axis=1),
            np.stack([e1x, e1y, zero], axis=1),
            np.stack([zero, zero, one], axis=1),
        ],
        axis=1,
    )  # rows: across, along, up
    c = rot @ cov @ np.transpose(rot, (0, 2, 1)) + _JITTER_M2 * np.eye(3)
    chol = np.linalg.cholesky(c)
    level = (np.abs(v[:, 2]) <= _STILL_MPS) & (chol[:, 2, 0] == 0.0) & (chol[:, 2, 1] == 0.0)
    speed = np.where(moving, speed, 0.0)
    return _Frame(
        a0=a0,
        d0=np.abs(d0),
        pz=p[:, 2],
        speed=speed,
        length=speed * span,
        vz=v[:, 2],
        span=span,
        chol=chol,
        level=level,
    )


def _theta_pieces(f: _Frame, r: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Edges (m, 15) of the pieces of ``theta`` (``x = R sin(theta)``) integrated across.

    The window is the part of the disc within ``_TAIL`` standard deviations of the planned
    miss; inside it the along-track limits ``(+-w - a_0 [- sT]) `` cross their conditional
    mean ``l21 g1`` where ``+-R cos(theta) - k R sin(theta) = q`` (``k = l21 / l11``), i.e.
    ``cos(theta +- phi) = ...`` with ``phi = atan(k)``: up to eight break points, plus those
    of ``_STEPS``.
    """
    l11, l21 = f.chol[r, 0, 0], f.chol[r, 1, 0]
    d0, a0, length = f.d0[r], f.a0[r], f.length[r]
    reach = _TAIL * l11
    th_lo = np.arcsin(np.clip((d0 - reach) / radius, -1.0, 1.0))
    th_hi = np.arcsin(np.clip((d0 + reach) / radius, -1.0, 1.0))
    k = l21 / l11
    phi = np.arctan(k)
    rho = radius * np.sqrt(1.0 + k * k)
    edges = [th_lo, th_hi]
    for j in _STEPS:  # resolve the normal density itself
        edges.append(np.clip(np.arcsin(np.clip((d0 + j * l11) / radius, -1.0, 1.0)), th_lo, th_hi))
    for c in (-a0 - length, -a0):
        q = -c - k * d0  # +-R cos - k R sin = q
        for sign in (1.0, -1.0):
            # sign +1: rho cos(theta + phi) = q; sign -1: rho cos(theta - phi) = -q
            arg = np.clip(sign * q / rho, -1.0, 1.0)
            base = np.arccos(arg)
            for root in (base, -base):
                edges.append(np.clip(root - sign * phi, th_lo, th_hi))
    return np.sort(np.stack(edges, axis=1), axis=1)


def _items(f: _Frame, r: np.ndarray, radius: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Probabilities of (pass ``r``, cylinder) items."""
    nodes = _Nodes(f, r, radius)
    level = f.level[r]
    out = np.zeros(r.size)
    if level.any():
        i = np.flatnonzero(level)
        out[i] = _level(f, r[i], half[i], nodes.of(level))
    if (~level).any():
        i = np.flatnonzero(~level)
        out[i] = _climbing(f, r[i], half[i], nodes.of(~level))
    return np.clip(out, 0.0, 1.0)


class _Nodes:
    """The quadrature nodes across the track of some items that carry weight.

    Each item has ``_NODES`` Gauss-Legendre nodes on each piece between its edges in
    ``theta``. A node of zero weight (on a piece of zero width, or where the density
    underflows) adds an exact zero to its item's sum whatever the (finite, >= +0) integrand
    is there, so only the others are kept: ``item`` (row of the item), ``at`` (flat index in
    the items' ``shape`` array of nodes), ``g1`` (standardised error across), ``w`` (half
    chord of the disc) and ``weight``.
    """

    __slots__ = ("item", "at", "shape", "g1", "w", "weight")

    def __init__(self, f: _Frame, r: np.ndarray, radius: np.ndarray) -> None:
        edges = _theta_pieces(f, r, radius)
        width = np.diff(edges, axis=1)  # (m, 14)
        wq = width[:, :, None] * _W
        self.shape = (r.size, wq.shape[1] * _NODES)
        at = np.flatnonzero(wq.reshape(-1) != 0.0)
        item, piece, node = at // self.shape[1], (at // _NODES) % wq.shape[1], at % _NODES
        theta = edges[item, piece] + width[item, piece] * _X[node]
        l11 = f.chol[r, 0, 0][item]
        x = radius[item] * np.sin(theta)
        w = radius[item] * np.cos(theta)
        g1 = (x - f.d0[r][item]) / l11
        weight = wq[item, piece, node] * w * np.exp(-0.5 * g1 * g1) / (np.sqrt(2.0 * np.pi) * l11)
        keep = weight != 0.0
        self.item, self.at, self.g1, self.w, self.weight = (
            a[keep] for a in (item, at, g1, w, weight)
        )

    def of(self, chosen: np.ndarray) -> _Nodes:
        """The nodes of the ``chosen`` items (a mask), numbered among them."""
        sub = object.__new__(_Nodes)
        rank = np.cumsum(chosen) - 1
        keep = chosen[self.item]
        sub.item = rank[self.item[keep]]
        sub.at = sub.item * self.shape[1] + self.at[keep] % self.shape[1]
        sub.shape = (int(chosen.sum()), self.shape[1])
        sub.g1, sub.w, sub.weight = self.g1[keep], self.w[keep], self.weight[keep]
        return sub

    def integral(self, values: np.ndarray) -> np.ndarray:
        """Per item ``sum(weight * integrand)`` over all its nodes, the integrand ``values`` at
        the kept ones: the same products, summed in the same order, as at every node.
        """
        full = np.zeros(self.shape[0] * self.shape[1])
        full[self.at] = self.weight * values
        return np.sum(full.reshape(self.shape), axis=1)


def _level(f: _Frame, r: np.ndarray, half: np.ndarray, nodes: _Nodes) -> np.ndarray:
    """Neither leg climbs: ``P_h * P_v``."""
    chol = f.chol[r]
    item = nodes.item
    l21, l22 = chol[:, 1, 0][item], chol[:, 1, 1][item]
    a0, length, w = f.a0[r][item], f.length[r][item], nodes.w
    mean = l21 * nodes.g1
    p_along = interval_probability((-w - a0 - length - mean) / l22, (w - a0 - mean) / l22)
    p_h = nodes.integral(p_along)
    l33, pz = chol[:, 2, 2], f.pz[r]
    return p_h * interval_probability((-half - pz) / l33, (half - pz) / l33)


def _climbing(f: _Frame, r: np.ndarray, half: np.ndarray, nodes: _Nodes) -> np.ndarray:
    """A leg climbs: the vertical limits move with the horizontal sub-window."""
    chol = f.chol[r]
    row = nodes.item
    l21, l22 = chol[:, 1, 0][row], chol[:, 1, 1][row]
    l31, l32, l33 = (chol[:, 2, j][row] for j in range(3))
    a0, length, span = f.a0[r][row], f.length[r][row], f.span[r][row]
    speed, pz, vz, hh = f.speed[r][row], f.pz[r][row], f.vz[r][row], half[row]
    g1, w = nodes.g1, nodes.w
    inv_s = np.where(speed > 0, 1.0 / np.where(speed > 0, speed, 1.0), 0.0)
    k1, k2, a_hi = -w - a0, w - a0 - length, w - a0
    cuts = (-w - a0 - length, np.minimum(k1, k2), np.maximum(k1, k2), a_hi)
    mean = l21 * g1
    total = np.zeros(g1.shape)
    for lo_e, hi_e in zip(cuts[:-1], cuts[1:], strict=True):
        b_lo, b_hi = (lo_e - mean) / l22, (hi_e - mean) / l22
        # a piece whose limits clip to the same value adds exactly 0 (see _bounded_normal)
        n = np.flatnonzero(np.clip(b_lo, -_BIG, _BIG) != np.clip(b_hi, -_BIG, _BIG))
        ends = (_End(b_lo[n]), _End(b_hi[n]))
        mid = 0.5 * (lo_e[n] + hi_e[n])
        # on this piece t1 = i1 + c1 e_a and t2 = i2 + c2 e_a
        moving = speed[n] > 0
        t1_lin, t2_lin = (mid < k1[n]) & moving, (mid > k2[n]) & moving
        i1, c1 = np.where(t1_lin, k1[n] * inv_s[n], 0.0), np.where(t1_lin, -inv_s[n], 0.0)
        i2, c2 = np.where(t2_lin, a_hi[n] * inv_s[n], span[n]), np.where(t2_lin, -inv_s[n], 0.0)
        up = vz[n] >= 0  # then max of vz t is at t2, min at t1
        i_max, c_max = np.where(up, i2, i1), np.where(up, c2, c1)
        i_min, c_min = np.where(up, i1, i2), np.where(up, c1, c2)
        common = (ends, mean[n], g1[n], l22[n], l31[n], l32[n], l33[n])
        vzn, pzn, hhn = vz[n], pz[n], hh[n]
        upper = _bounded_normal(hhn - pzn - vzn * i_min, -vzn * c_min, *common)
        lower = _bounded_normal(-hhn - pzn - vzn * i_max, -vzn * c_max, *common)
        total[n] += np.maximum(upper - lower, 0.0)
    return nodes.integral(total)


def _bounded_normal(
    z0: np.ndarray,
    z1: np.ndarray,
    ends: tuple[_End, _End],
    mean: np.ndarray,
    g1: np.ndarray,
    l22: np.ndarray,
    l31: np.ndarray,
    l32: np.ndarray,
    l33: np.ndarray,
) -> np.ndarray:
    """``P(b_lo < g2 < b_hi, e_z < z0 + z1 e_a)`` with ``e_a = mean + l22 g2``,
    ``e_z = l31 g1 + l32 g2 + l33 g3`` (a bivariate normal probability); ``ends`` are
    ``b_lo`` and ``b_hi``.

    Both ends are clipped to ``+-_BIG`` like any argument of :func:`bivariate_normal_cdf`, so
    where they clip to the same value the two terms are equal and the result is exactly 0.
    """
    alpha = (z0 + z1 * mean - l31 * g1) / l33
    beta = (z1 * l22 - l32) / l33
    norm = np.sqrt(1.0 + beta * beta)
    c = _Correlated(alpha / norm, -beta / norm)
    return np.maximum(_cdf(ends[1], c) - _cdf(ends[0], c), 0.0)
