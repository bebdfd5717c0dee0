"""Routes that avoid polygons: shortest paths on a visibility graph (Shapely 2 + networkx).

The obstacles (keep-out areas, notified strike areas, ...) are merged and grown by a buffer
into one *blocked area*; a route is the shortest polyline from start to end that does not
enter its interior. Shortest paths around polygons bend only at the polygons' vertices, so
the route is a shortest path on the graph whose nodes are those vertices (plus start and end)
and whose edges are the segments that do not enter the interior.

Modelling choices
-----------------
- **Buffer**: the union of the obstacles is buffered with round joins of ``quad_segs``
  segments per quarter circle, by a distance enlarged just enough that *every* point outside
  the blocked area is at least ``buffer_m`` from every obstacle (the arcs' chords would
  otherwise cut up to a few per cent of the buffer). Routes may run along the blocked area's
  edges; they never cross its interior.
- **Reduced graph**: only segments that are tangent to the polygon at their vertex ends (both
  neighbouring vertices on the same side) can be part of a shortest path; the rest are never
  tested. Visibility is tested exactly and in bulk: a segment is clear when it does not meet
  the (prepared) blocked area or only touches its boundary.
- **Start inside the blocked area** (an aircraft already in a zone when told of it): the
  route first goes straight out to the nearest point of the area's boundary, then on from
  there. An **end inside** the area, or an end cut off from the start, gives ``None``.
- Vertices come in the deterministic order of the merged geometry, so equal-length
  alternatives (around either side of a square) resolve the same way on every run.
"""

from __future__ import annotations

import math
import struct
import threading
from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["Router", "blocked_area", "first_entry", "path_length", "route_around"]

Point2 = tuple[float, float]


def blocked_area(
    obstacles: Iterable[BaseGeometry], buffer_m: float = 0.0, quad_segs: int = 4
) -> BaseGeometry:
    """The obstacles merged and grown so every point outside is ``buffer_m`` clear of them.

    Parameters
    ----------
    obstacles : iterable of shapely geometries
        Polygons (or, with ``buffer_m > 0``, also points and lines) in metres.
    buffer_m : float, optional
        The clearance to keep from every obstacle.
    quad_segs : int, optional
        Segments per quarter circle in the rounded corners.

    Returns
    -------
    shapely geometry
        A Polygon or MultiPolygon (empty if there is nothing to avoid).

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> area = blocked_area([box(0, 0, 10, 10), box(5, 5, 20, 20)])
    >>> area.geom_type, area.area
    ('Polygon', 300.0)
    >>> grown = blocked_area([Point(0, 0)], buffer_m=100.0)
    >>> bool(grown.exterior.distance(Point(0, 0)) >= 100.0)
    True
    """
    geoms = [g for g in obstacles if g is not None and not g.is_empty]
    raw = shapely.unary_union(geoms) if geoms else shapely.Polygon()
    if buffer_m <= 0.0:
        return _polygonal(raw)
    distance = buffer_m / math.cos(math.pi / (4 * quad_segs))
    for _ in range(5):
        area = _polygonal(shapely.buffer(raw, distance, quad_segs=quad_segs))
        clearance = shapely.distance(area.boundary, raw)
        if clearance >= buffer_m:
            break
        distance *= buffer_m / clearance * (1.0 + 1e-9)
    return area


def path_length(points: Sequence[Point2]) -> float:
    """Length of a polyline.

    Parameters
    ----------
    points : sequence of (x, y)
        The polyline's vertices in order.

    Returns
    -------
    float
        Sum of the segment lengths (0 for fewer than two points).

    Examples
    --------
    >>> path_length([(0, 0), (3, 4), (3, 10)])
    11.0
    """
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    return float(np.hypot(*np.diff(xy, axis=0).T).sum()) if len(xy) > 1 else 0.0


def first_entry(points: Sequence[Point2], area: BaseGeometry) -> tuple[float, Point2] | None:
    """Where a polyline first enters the interior of an area.

    Parameters
    ----------
    points : sequence of (x, y)
        The polyline (a segment is two points).
    area : shapely geometry
        A polygonal area.

    Returns
    -------
    tuple or None
        ``(distance along the polyline, (x, y))`` of the first point from which the polyline
        runs inside the area (0 and the first point if it starts inside), or ``None`` if it
        never enters the interior (touching or running along the boundary does not count).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> first_entry([(-5, 5), (20, 5)], box(0, 0, 10, 10))
    (5.0, (0.0, 5.0))
    >>> first_entry([(-5, 0), (20, 0)], box(0, 0, 10, 10)) is None  # along an edge
    True
    """
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    if shapely.contains_xy(area, xy[0, 0], xy[0, 1]):
        return 0.0, (float(xy[0, 0]), float(xy[0, 1]))
    segs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    entering = np.flatnonzero(~_clear(segs, area))
    if entering.size == 0:
        return None
    i = int(entering[0])
    seg = segs[i]
    cut = shapely.get_coordinates(shapely.intersection(seg, area))
    ts = np.unique(shapely.line_locate_point(seg, shapely.points(cut)))
    a, b = xy[i], xy[i + 1]
    for t0, t1 in zip(ts[:-1], ts[1:], strict=True):
        mid = shapely.line_interpolate_point(seg, (t0 + t1) / 2)
        if shapely.contains(area, mid):
            p = a + (b - a) * (t0 / np.hypot(*(b - a)))
            return path_length(xy[: i + 1]) + float(t0), (float(p[0]), float(p[1]))
    return None  # pragma: no cover - an entering segment always has an interior piece


def route_around(
    start: Point2,
    end: Point2,
    obstacles: Iterable[BaseGeometry],
    buffer_m: float = 0.0,
    quad_segs: int = 4,
) -> list[Point2] | None:
    """Shortest polyline from start to end that stays out of the (buffered) obstacles.

    Parameters
    ----------
    start, end : (x, y)
        End points in metres on the simulation plane.
    obstacles : iterable of shapely geometries
        Areas to avoid; overlapping ones are merged.
    buffer_m : float, optional
        Clearance kept from every obstacle.
    quad_segs : int, optional
        Segments per quarter circle in the buffer's rounded corners.

    Returns
    -------
    list of (x, y) or None
        ``[start, end]`` when the straight line is clear; the shortest route otherwise (its
        first leg runs straight out of the area if ``start`` is inside it); ``None`` if ``end``
        is inside the area or cannot be reached.

    See Also
    --------
    Router : the same, with the graph kept for many routes around the same obstacles.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> route_around((-3, 0), (3, 0), [box(-1, -1, 1, 1)])
    [(-3.0, 0.0), (-1.0, 1.0), (1.0, 1.0), (3.0, 0.0)]
    >>> route_around((-3, 5), (3, 5), [box(-1, -1, 1, 1)])
    [(-3.0, 5.0), (3.0, 5.0)]
    >>> route_around((-3, 0), (0, 0), [box(-1, -1, 1, 1)]) is None
    True
    """
    return Router(obstacles, buffer_m, quad_segs).route(start, end)


class Router:
    """Routes around one fixed set of obstacles; the visibility graph is built once, lazily,
    and each route found is kept (asked again, the same route comes back without a search).

    Parameters
    ----------
    obstacles : iterable of shapely geometries
        Areas to avoid, in metres.
    buffer_m : float, optional
        Clearance kept from every obstacle.
    quad_segs : int, optional
        Segments per quarter circle in the buffer's rounded corners.

    Attributes
    ----------
    area : shapely geometry
        The blocked area (see `blocked_area`), prepared.

    Notes
    -----
    One router may serve many runs (and threads): a search adds its end points to the graph
    for its duration, so searches take turns.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> router = Router([Point(0, 0)], buffer_m=1000.0)
    >>> route = router.route((-5000, 0), (5000, 0))
    >>> round(path_length(route))  # straight: 10000 m; around a true circle: 10201 m
    10206
    >>> router.route((-5000, 2000), (5000, 2000))
    [(-5000.0, 2000.0), (5000.0, 2000.0)]
    """

    def __init__(
        self, obstacles: Iterable[BaseGeometry], buffer_m: float = 0.0, quad_segs: int = 4
    ) -> None:
        self.buffer_m = float(buffer_m)
        self.area = blocked_area(obstacles, buffer_m, quad_segs)
        shapely.prepare(self.area)
        self._xy, self._prev, self._next = _ring_vertices(self.area)
        self._graph: nx.Graph | None = None
        self._routes: dict[bytes, list[Point2] | None] = {}
        self._lock = threading.Lock()

    def route(self, start: Point2, end: Point2) -> list[Point2] | None:
        """Shortest route from ``start`` to ``end`` around the blocked area (see `route_around`).

        Examples
        --------
        >>> from shapely.geometry import box
        >>> Router([box(-1, -1, 1, 1)]).route((0, -3), (0, 3))
        [(0.0, -3.0), (1.0, -1.0), (1.0, 1.0), (0.0, 3.0)]
        """
        start = (float(start[0]), float(start[1]))
        end = (float(end[0]), float(end[1]))
        key = struct.pack("4d", *start, *end)  # exact: -0.0 and 0.0 are different keys
        with self._lock:
            if key not in self._routes:
                self._routes[key] = self._route(start, end)
            found = self._routes[key]
        return None if found is None else list(found)

    def _route(self, start: Point2, end: Point2) -> list[Point2] | None:
        if self.area.is_empty:
            return [start, end]
        if shapely.contains_xy(self.area, *end):
            return None
        prefix = [start]
        if shapely.contains_xy(self.area, *start):
            start = self._exit_point(start)
            prefix.append(start)
        if start == end or _clear(shapely.linestrings([start, end]), self.area)[0]:
            return _dedupe([*prefix, end])
        inner = self._shortest(start, end)
        return None if inner is None else _dedupe([*prefix, *inner[1:]])

    # -- graph ------------------------------------------------------------------------------

    def _shortest(self, start: Point2, end: Point2) -> list[Point2] | None:
        graph = self._vertex_graph()
        n = len(self._xy)
        xy = np.vstack([self._xy, [start, end]])
        try:
            for node, p in ((n, start), (n + 1, end)):
                graph.add_node(node)
                graph.add_weighted_edges_from(self._edges_from(node, p), weight="length")

            def heuristic(u: int, v: int) -> float:
                return float(np.hypot(*(xy[u] - xy[v])))

            nodes = nx.astar_path(graph, n, n + 1, heuristic=heuristic, weight="length")
        except nx.NetworkXNoPath:
            return None
        finally:
            graph.remove_nodes_from([n, n + 1])
        return [(float(xy[k, 0]), float(xy[k, 1])) for k in nodes]

    def _vertex_graph(self) -> nx.Graph:
        if self._graph is None:
            n = len(self._xy)
            i, j = _tangent_pairs(self._xy, self._prev, self._next)
            ok = self._ring_edge(i, j)  # on the boundary of a valid area: clear
            rest = np.flatnonzero(~ok)
            segs = shapely.linestrings(np.stack([self._xy[i[rest]], self._xy[j[rest]]], axis=1))
            ok[rest] = _clear(segs, self.area)
            lengths = np.hypot(*(self._xy[j] - self._xy[i]).T)
            self._graph = nx.Graph()
            self._graph.add_nodes_from(range(n))
            self._graph.add_weighted_edges_from(
                zip(i[ok].tolist(), j[ok].tolist(), lengths[ok].tolist(), strict=True),
                weight="length",
            )
        return self._graph

    def _ring_edge(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Whether each vertex pair is an edge of a ring of the area, if the area is valid
        (its rings' edges then never enter its interior); all False otherwise.
        """
        if not self.area.is_valid:
            return np.zeros(len(i), dtype=bool)
        xy, nxt, prev = self._xy[j], self._next[i], self._prev[i]
        return np.all(xy == nxt, axis=1) | np.all(xy == prev, axis=1)

    def _edges_from(self, node: int, p: Point2) -> list[tuple[int, int, float]]:
        """Clear edges from a free point to the vertices it can leave tangentially."""
        d = self._xy - np.asarray(p)
        same = np.all(d == 0.0, axis=1)
        cand = np.flatnonzero(_tangent(self._xy, self._prev, self._next, -d) & ~same)
        segs = shapely.linestrings(
            np.stack([np.broadcast_to(p, (len(cand), 2)), self._xy[cand]], axis=1)
        )
        ok = cand[_clear(segs, self.area)] if len(cand) else cand
        edges = [(node, int(k), float(np.hypot(*d[k]))) for k in ok]
        return edges + [(node, int(k), 0.0) for k in np.flatnonzero(same)]

    def _exit_point(self, p: Point2) -> Point2:
        """The nearest boundary point of the area, nudged just outside it."""
        q = shapely.get_coordinates(shapely.shortest_line(self.area.boundary, shapely.Point(p)))[0]
        u = q - np.asarray(p)
        u /= np.hypot(*u)
        step = 1e-9 * max(1.0, float(np.abs(shapely.bounds(self.area)).max()))
        for _ in range(40):
            out = q + u * step
            if not shapely.contains_xy(self.area, *out):
                return float(out[0]), float(out[1])
            step *= 2.0
        return float(q[0]), float(q[1])  # pragma: no cover - numerically stuck on the edge


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    parts = _polygons(geom)
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _polygons(geom: BaseGeometry) -> list[BaseGeometry]:
    out = []
    for g in shapely.get_parts(geom):
        if g.geom_type == "Polygon":
            out += [g] if g.area > 0 else []
        elif g.geom_type in ("MultiPolygon", "GeometryCollection"):
            out += _polygons(g)
    return out


def _ring_vertices(area: BaseGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring vertex of the area with its ring neighbours (previous, next)."""
    xy, prev, nxt = [], [], []
    for poly in shapely.get_parts(area):
        for ring in [poly.exterior, *poly.interiors]:
            c = np.asarray(ring.coords)[:-1]
            xy.append(c)
            prev.append(np.roll(c, 1, axis=0))
            nxt.append(np.roll(c, -1, axis=0))
    if not xy:
        empty = np.empty((0, 2))
        return empty, empty, empty
    return np.vstack(xy), np.vstack(prev), np.vstack(nxt)


def _tangent(v: np.ndarray, prev: np.ndarray, nxt: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Whether the line through vertex ``v`` along ``d`` has both ring neighbours on one side."""
    a = d[..., 0] * (prev[..., 1] - v[..., 1]) - d[..., 1] * (prev[..., 0] - v[..., 0])
    b = d[..., 0] * (nxt[..., 1] - v[..., 1]) - d[..., 1] * (nxt[..., 0] - v[..., 0])
    return a * b >= 0.0


def _tangent_pairs(
    xy: np.ndarray, prev: np.ndarray, nxt: np.ndarray, cells: int = 1 << 21, rows: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """Vertex pairs ``i < j`` whose segment is tangent at both ends, in order of ``i`` then
    ``j``: blocks of at most ``rows`` rows (fewer if a block would exceed ``cells`` cells),
    each against the columns after its first row only (the pairs ``i < j``).
    """
    n = len(xy)
    pu, nu = prev - xy, nxt - xy
    rows = max(1, min(rows, cells // max(n, 1)))
    out_i, out_j = [], []
    for lo in range(0, n, rows):
        hi = min(n, lo + rows)
        first = lo + 1  # the columns j > i for every row i of the block
        dx = xy[None, first:, 0] - xy[lo:hi, None, 0]
        dy = xy[None, first:, 1] - xy[lo:hi, None, 1]
        at_i = (dx * pu[lo:hi, None, 1] - dy * pu[lo:hi, None, 0]) * (
            dx * nu[lo:hi, None, 1] - dy * nu[lo:hi, None, 0]
        ) >= 0.0
        upper = np.arange(first, n)[None, :] > np.arange(lo, hi)[:, None]
        moved = (dx != 0.0) | (dy != 0.0)
        bi, bj = np.nonzero(at_i & upper & moved)  # few: then tangent at the other end?
        gx, gy = dx[bi, bj], dy[bi, bj]
        bj = bj + first
        at_j = (gx * pu[bj, 1] - gy * pu[bj, 0]) * (gx * nu[bj, 1] - gy * nu[bj, 0]) >= 0.0
        out_i.append(bi[at_j] + lo)
        out_j.append(bj[at_j])
    if not out_i:
        return np.empty(0, dtype=int), np.empty(0, dtype=int)
    return np.concatenate(out_i), np.concatenate(out_j)


def _clear(lines: np.ndarray | BaseGeometry, area: BaseGeometry) -> np.ndarray:
    """Whether each line stays out of the area's interior (touching the boundary is clear)."""
    lines = np.atleast_1d(np.asarray(lines, dtype=object))
    hit = shapely.intersects(lines, area)
    clear = ~hit
    if hit.any():
        clear[hit] = shapely.touches(lines[hit], area)
    return clear


def _dedupe(points: list[Point2]) -> list[Point2]:
    out = [points[0]]
    out += [p for prev, p in zip(points[:-1], points[1:], strict=True) if p != prev]
    return out if len(out) > 1 else [points[0], points[-1]]
