/* Drawing the replay on a canvas: the base map (drawn once per view, then copied), and what
   moves with the clock (notified areas, trails, encounter rings, aircraft, the selection). */
"use strict";
var DR = (window.DR = window.DR || {});

DR.MARKER_PX = 1.25; // aircraft outlines are in points; this many CSS pixels per point
DR.TRAIL_PIECES = 10;

DR.darker = function (hex, f) {
  var n = parseInt(hex.slice(1), 16);
  var r = Math.round(((n >> 16) & 255) * f), g = Math.round(((n >> 8) & 255) * f),
      b = Math.round((n & 255) * f);
  return "rgb(" + r + "," + g + "," + b + ")";
};

DR.rgba = function (hex, alpha) {
  var n = parseInt(hex.slice(1), 16);
  return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
};

DR.Renderer = function (canvas, data, view, state) {
  this.canvas = canvas;
  this.ctx = canvas.getContext("2d");
  this.data = data;
  this.view = view;
  this.state = state;
  this.base = document.createElement("canvas");
  this.baseKey = null;
  this.markers = [];
  this.dpr = 1;
};

DR.Renderer.prototype.resize = function () {
  var w = Math.max(this.canvas.clientWidth, 1), h = Math.max(this.canvas.clientHeight, 1);
  this.dpr = window.devicePixelRatio || 1;
  this.canvas.width = Math.round(w * this.dpr);
  this.canvas.height = Math.round(h * this.dpr);
  this.base.width = this.canvas.width;
  this.base.height = this.canvas.height;
  this.view.resize(w, h);
  this.baseKey = null;
};

DR.Renderer.prototype.sideColor = function (side) {
  return this.data.style.sides[side] || this.data.style.sides.other;
};

DR.Renderer.prototype.trace = function (ctx, flat, close) {
  var v = this.view;
  for (var i = 0; i < flat.length; i += 2) {
    var p = v.project(flat[i], flat[i + 1]);
    if (i === 0) ctx.moveTo(p[0], p[1]); else ctx.lineTo(p[0], p[1]);
  }
  if (close) ctx.closePath();
};

/* ---------------------------------------------------------------- the base map */

DR.Renderer.prototype.drawBase = function () {
  var L = this.state.layers;
  var key = this.view.key() + "|" + [L.borders, L.places, L.river, L.line, L.zones].join("");
  if (key === this.baseKey) return;
  this.baseKey = key;
  var ctx = this.base.getContext("2d"), m = this.data.map, st = this.data.style.map;
  var w = this.view.w, h = this.view.h, self = this;
  ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
  ctx.fillStyle = st.sea;
  ctx.fillRect(0, 0, w, h);
  var taken = [this.scaleBarBox()];
  if (L.borders) {
    m.countries.forEach(function (c) {
      ctx.beginPath();
      c.rings.forEach(function (r) { self.trace(ctx, r, true); });
      ctx.fillStyle = c.syria ? st.syria : st.land;
      ctx.fill("evenodd");
      ctx.lineWidth = c.syria ? 1.6 : 0.7;
      ctx.strokeStyle = c.syria ? st.syria_border : st.border;
      ctx.lineJoin = "round";
      ctx.stroke();
    });
  }
  if (L.zones) this.drawZones(ctx, taken);
  if (L.river) this.drawRiver(ctx, taken);
  if (L.line) this.drawLines(ctx);
  if (L.places) this.drawPlaces(ctx, taken);
  if (L.borders) this.drawAreaLabels(ctx, taken);
  this.drawScaleBar(ctx);
};

DR.Renderer.prototype.hatch = function (ctx, color) {
  var c = document.createElement("canvas");
  c.width = 8;
  c.height = 8;
  var g = c.getContext("2d");
  g.strokeStyle = DR.rgba(color, 0.45);
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(0, 8);
  g.lineTo(8, 0);
  g.stroke();
  return ctx.createPattern(c, "repeat");
};

DR.Renderer.prototype.drawZones = function (ctx, taken) {
  var self = this, color = this.data.style.map.zone, pattern = this.hatch(ctx, color);
  this.data.map.zones.forEach(function (z) {
    ctx.beginPath();
    z.rings.forEach(function (r) { self.trace(ctx, r, true); });
    ctx.fillStyle = DR.rgba(color, 0.1);
    ctx.fill("evenodd");
    ctx.fillStyle = pattern;
    ctx.fill("evenodd");
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.3;
    ctx.stroke();
    var top = -Infinity, xs = 0, n = 0;
    z.rings[0].forEach(function (v, i) {
      if (i % 2) top = Math.max(top, v); else { xs += v; n++; }
    });
    var p = self.view.project(xs / n, top);
    self.label(ctx, z.name, p[0], p[1] - 3, { color: color, bold: true, size: 11, align: "center",
      base: "bottom", taken: taken, force: true });
  });
};

DR.Renderer.prototype.drawRiver = function (ctx, taken) {
  var e = this.data.map.euphrates, st = this.data.style.map;
  ctx.beginPath();
  this.trace(ctx, e, false);
  ctx.strokeStyle = st.river;
  ctx.lineWidth = 1.8;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.stroke();
  var k = Math.floor((e.length / 2) * 2 / 3) * 2;
  var a = this.view.project(e[k - 2], e[k - 1]), b = this.view.project(e[k + 2], e[k + 3]);
  var angle = Math.atan2(b[1] - a[1], b[0] - a[0]);
  if (angle > Math.PI / 2) angle -= Math.PI; else if (angle < -Math.PI / 2) angle += Math.PI;
  var p = this.view.project(e[k], e[k + 1]);
  ctx.save();
  ctx.translate(p[0], p[1]);
  ctx.rotate(angle);
  ctx.font = "italic 11px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.lineWidth = 3;
  ctx.strokeStyle = "rgba(255,255,255,0.85)";
  ctx.strokeText("Euphrates", 0, -2);
  ctx.fillStyle = st.river;
  ctx.fillText("Euphrates", 0, -2);
  ctx.restore();
  taken.push({ x0: p[0] - 30, y0: p[1] - 16, x1: p[0] + 30, y1: p[1] + 4 });
};

DR.Renderer.prototype.drawLines = function (ctx) {
  var self = this;
  this.data.map.lines.forEach(function (l) {
    ctx.beginPath();
    l.rings.forEach(function (r) { self.trace(ctx, r, false); });
    ctx.setLineDash([8, 4]);
    ctx.strokeStyle = "#163e6b";
    ctx.lineWidth = 2.4;
    ctx.stroke();
    ctx.setLineDash([]);
  });
};

/* A marker of matplotlib's kinds (^ v s D X o), size in points (its width). */
DR.Renderer.prototype.placeMarker = function (ctx, kind, x, y, size, fill, edge) {
  var r = (size * DR.MARKER_PX) / 2;
  ctx.beginPath();
  if (kind === "o") {
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  } else if (kind === "s") {
    ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  } else if (kind === "D") {
    ctx.moveTo(x, y - r); ctx.lineTo(x + r * 0.8, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r * 0.8, y);
    ctx.closePath();
  } else if (kind === "v") {
    ctx.moveTo(x - r, y - r * 0.8); ctx.lineTo(x + r, y - r * 0.8); ctx.lineTo(x, y + r);
    ctx.closePath();
  } else if (kind === "X") {
    var q = r * 0.35;
    ctx.moveTo(x - r, y - r + q); ctx.lineTo(x - r + q, y - r); ctx.lineTo(x, y - q);
    ctx.lineTo(x + r - q, y - r); ctx.lineTo(x + r, y - r + q); ctx.lineTo(x + q, y);
    ctx.lineTo(x + r, y + r - q); ctx.lineTo(x + r - q, y + r); ctx.lineTo(x, y + q);
    ctx.lineTo(x - r + q, y + r); ctx.lineTo(x - r, y + r - q); ctx.lineTo(x - q, y);
    ctx.closePath();
  } else { // ^
    ctx.moveTo(x - r, y + r * 0.8); ctx.lineTo(x + r, y + r * 0.8); ctx.lineTo(x, y - r);
    ctx.closePath();
  }
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineWidth = 0.9;
  ctx.strokeStyle = edge;
  ctx.stroke();
};

DR.overlaps = function (a, list) {
  for (var i = 0; i < list.length; i++) {
    var b = list[i];
    if (a.x0 < b.x1 && a.x1 > b.x0 && a.y0 < b.y1 && a.y1 > b.y0) return true;
  }
  return false;
};

/* Write a label with a white halo; with opts.taken, only where it overlaps nothing written. */
DR.Renderer.prototype.label = function (ctx, text, x, y, opts) {
  var size = opts.size || 11;
  ctx.font = (opts.italic ? "italic " : "") + (opts.bold ? "bold " : "") + size + "px sans-serif";
  var w = ctx.measureText(text).width, h = size * 1.2;
  var align = opts.align || "left", base = opts.base || "middle";
  var x0 = align === "left" ? x : align === "right" ? x - w : x - w / 2;
  var y0 = base === "top" ? y : base === "bottom" ? y - h : y - h / 2;
  var box = { x0: x0 - 1, y0: y0, x1: x0 + w + 1, y1: y0 + h };
  if (opts.taken && !opts.force) {
    if (box.x0 < 0 || box.y0 < 0 || box.x1 > this.view.w || box.y1 > this.view.h) return false;
    if (DR.overlaps(box, opts.taken)) return false;
  }
  if (opts.taken) opts.taken.push(box);
  ctx.textAlign = align;
  ctx.textBaseline = base;
  ctx.lineWidth = 3;
  ctx.lineJoin = "round";
  ctx.strokeStyle = "rgba(255,255,255,0.85)";
  ctx.strokeText(text, x, y);
  ctx.fillStyle = opts.color || "#1a1a1a";
  ctx.fillText(text, x, y);
  return true;
};

DR.LABEL_SPOTS = [
  [1, 0, "left", "middle"], [-1, 0, "right", "middle"], [0, -1, "center", "bottom"],
  [0, 1, "center", "top"], [1, -1, "left", "bottom"], [-1, -1, "right", "bottom"],
  [1, 1, "left", "top"], [-1, 1, "right", "top"]
];

DR.Renderer.prototype.drawPlaces = function (ctx, taken) {
  var self = this, v = this.view;
  var marks = this.data.map.places.slice().sort(function (a, b) { return a.priority - b.priority; });
  var shown = marks.filter(function (m) {
    var p = v.project(m.x, m.y);
    m._p = p;
    return p[0] >= 0 && p[0] <= v.w && p[1] >= 0 && p[1] <= v.h;
  });
  shown.forEach(function (m) {
    self.placeMarker(ctx, m.marker, m._p[0], m._p[1], m.size, m.color, m.edge);
    var r = (m.size * DR.MARKER_PX) / 2;
    taken.push({ x0: m._p[0] - r, y0: m._p[1] - r, x1: m._p[0] + r, y1: m._p[1] + r });
  });
  shown.forEach(function (m) {
    if (!m.labelled) return;
    var off = (m.size * DR.MARKER_PX) / 2 + 4;
    var color = m.bold && m.color !== "#ffffff" ? DR.darker(m.color, 0.75) : "#1a1a1a";
    for (var i = 0; i < DR.LABEL_SPOTS.length; i++) {
      var s = DR.LABEL_SPOTS[i];
      if (self.label(ctx, m.label, m._p[0] + s[0] * off, m._p[1] + s[1] * off, {
        size: Math.round(11 * m.font_scale), bold: m.bold, color: color, align: s[2], base: s[3],
        taken: taken })) break;
    }
  });
};

DR.Renderer.prototype.drawAreaLabels = function (ctx, taken) {
  var self = this, v = this.view, area = v.w * v.h;
  this.data.map.countries.slice().reverse().forEach(function (c) { // Syria first
    if (c.area_m2 * v.s * v.s < 0.02 * area || c.iso === "PSE") return;
    var p = v.project(c.label[0], c.label[1]);
    self.label(ctx, c.name.toUpperCase(), p[0], p[1], {
      size: c.syria ? 17 : 13, bold: true, color: c.syria ? "#b5ab95" : "#8a8478",
      align: "center", base: "middle", taken: taken });
  });
  var sea = this.data.map.sea_label;
  if (sea) {
    var p = v.project(sea[0], sea[1]);
    this.label(ctx, "Mediterranean Sea", p[0], p[1], { size: 12, italic: true, color: "#5d86a8",
      align: "center", taken: taken });
  }
};

DR.Renderer.prototype.scaleBar = function () {
  var v = this.view, target = v.w / 6 / v.s / 1000, best = 10;
  [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].forEach(function (k) {
    if (Math.abs(k - target) < Math.abs(best - target)) best = k;
  });
  return { km: best, len: best * 1000 * v.s, x: 12, y: v.h - 14 };
};

DR.Renderer.prototype.scaleBarBox = function () {
  var b = this.scaleBar();
  return { x0: b.x - 4, y0: b.y - 22, x1: b.x + Math.max(b.len, 110) + 4, y1: b.y + 4 };
};

DR.Renderer.prototype.drawScaleBar = function (ctx) {
  var b = this.scaleBar(), nm = (b.km * 1000) / this.data.units.nm_m;
  ctx.fillStyle = "#000";
  ctx.fillRect(b.x, b.y - 3, b.len, 3);
  this.label(ctx, b.km + " km (" + (nm < 10 ? nm.toFixed(1) : Math.round(nm)) + " NM)",
    b.x + b.len / 2, b.y - 5, { size: 11, align: "center", base: "bottom" });
};

/* ---------------------------------------------------------------- what moves */

DR.Renderer.prototype.draw = function (t) {
  this.drawBase();
  var ctx = this.ctx, L = this.state.layers;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(this.base, 0, 0);
  ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
  if (L.areas) this.drawAreas(ctx, t);
  if (L.trails) this.drawTrails(ctx, t);
  this.drawSelectionTracks(ctx, t);
  if (L.rings) this.drawRings(ctx, t);
  this.drawAircraft(ctx, t);
};

/* Notified areas: dotted from the notice until the window opens, filled while it is open,
   each labelled with its window. */
DR.Renderer.prototype.drawAreas = function (ctx, t) {
  var self = this, color = this.data.style.map.notified, start = this.data.meta.start_iso;
  var taken = [];
  this.data.areas.forEach(function (a) {
    if (t < a.notified_s || t > a.to_s) return;
    var open = t >= a.from_s;
    ctx.beginPath();
    a.rings.forEach(function (r) { self.trace(ctx, r, true); });
    if (open) {
      ctx.fillStyle = DR.rgba(color, 0.16);
      ctx.fill("evenodd");
    }
    ctx.setLineDash(open ? [5, 3] : [1.5, 3]);
    ctx.strokeStyle = open ? color : DR.rgba(color, 0.8);
    ctx.lineWidth = open ? 1.4 : 1.2;
    ctx.stroke();
    ctx.setLineDash([]);
    if (!a._top) {
      var ring = a.rings[0], top = -Infinity, x0 = Infinity, x1 = -Infinity;
      for (var i = 0; i < ring.length; i += 2) {
        x0 = Math.min(x0, ring[i]);
        x1 = Math.max(x1, ring[i]);
        top = Math.max(top, ring[i + 1]);
      }
      a._top = [(x0 + x1) / 2, top];
    }
    var p = self.view.project(a._top[0], a._top[1]);
    var words = open ? "until " + DR.clock(start, a.to_s, true) : "opens " + DR.clock(start, a.from_s, true);
    self.label(ctx, words, p[0], p[1] - 2, { size: 10, color: DR.darker(color, 0.8), align: "center",
      base: "bottom", taken: taken });
  });
};

DR.Renderer.prototype.strokePath = function (ctx, pts, color, width, alpha, dash) {
  if (pts.length < 2) return;
  ctx.beginPath();
  for (var i = 0; i < pts.length; i++) {
    var p = this.view.project(pts[i][0], pts[i][1]);
    if (i === 0) ctx.moveTo(p[0], p[1]); else ctx.lineTo(p[0], p[1]);
  }
  ctx.globalAlpha = alpha;
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash || []);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
};

/* The last minutes of every airborne aircraft, fading with age. */
DR.Renderer.prototype.drawTrails = function (ctx, t) {
  var tr = this.data.tracks, ac = this.data.aircraft, len = this.state.trailS;
  var piece = len / DR.TRAIL_PIECES;
  ctx.lineCap = "butt";
  for (var a = 0; a < tr.n; a++) {
    if (!tr.airborne(a, t) || (!this.state.layers.missiles && ac.kind[a] === "missile")) continue;
    var color = this.sideColor(ac.side[a]);
    for (var k = 0; k < DR.TRAIL_PIECES; k++) {
      var tb = t - k * piece, ta = tb - piece;
      if (tb < tr.first[a]) break;
      this.strokePath(ctx, tr.path(a, ta, tb), color, 2, 0.7 * (1 - k / DR.TRAIL_PIECES) + 0.05);
    }
  }
};

/* The whole flight of the selected aircraft, or of the selected encounter's pair: flown part
   solid, the rest dotted. */
DR.Renderer.prototype.drawSelectionTracks = function (ctx, t) {
  var tr = this.data.tracks, self = this;
  this.state.highlighted().forEach(function (a) {
    var color = self.sideColor(self.data.aircraft.side[a]);
    self.strokePath(ctx, tr.path(a, tr.first[a], t), color, 1.6, 0.55);
    self.strokePath(ctx, tr.path(a, t, tr.last[a]), color, 1.2, 0.45, [2, 4]);
  });
};

DR.Renderer.prototype.ringRadius = function (e) {
  var c = this.data.categoryOf[e.category];
  return Math.max(11, (c ? c.radius_m : 0) * this.view.s);
};

DR.Renderer.prototype.drawRings = function (ctx, t) {
  var glow = this.data.meta.afterglow_s, sel = this.state.selectedEnc, self = this;
  this.data.encounters.forEach(function (e, k) {
    var inside = t >= e.t_start_s && t <= e.t_end_s, after = t > e.t_end_s && t <= e.t_end_s + glow;
    if (!inside && !after && k !== sel) return;
    var c = self.data.categoryOf[e.category], color = c ? c.color : "#000000";
    var p = self.view.project(e.x, e.y), r = self.ringRadius(e);
    var alpha = inside ? 1 : after ? 1 - 0.8 * (t - e.t_end_s) / glow : 0.8;
    ctx.globalAlpha = alpha;
    ctx.beginPath();
    ctx.arc(p[0], p[1], r, 0, 2 * Math.PI);
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 5;
    ctx.stroke();
    ctx.strokeStyle = color;
    ctx.lineWidth = 2.5;
    ctx.setLineDash(inside || after ? [] : [4, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    if (inside || k === sel) {
      var text = (c ? c.label : e.category).toUpperCase() + " " +
        (e.h_m / self.data.units.nm_m).toFixed(1) + " NM " +
        Math.round(Math.abs(e.v_m) / self.data.units.ft_m) + " ft";
      self.label(ctx, text, p[0] + r + 4, p[1] - r, { size: 11, bold: true,
        color: DR.darker(color, 0.7), base: "bottom" });
    }
  });
};

DR.Renderer.prototype.aircraftPath = function (ctx, a, px, py, heading) {
  var shape = this.data.style.shapes[this.data.aircraft.kind[a]] || this.data.style.shapes.fixed_wing;
  var c = Math.cos(heading), s = Math.sin(heading), k = DR.MARKER_PX;
  ctx.beginPath();
  for (var i = 0; i < shape.length; i++) {
    var u = shape[i][0] * k, v = shape[i][1] * k;
    var x = px + u * c - v * s, y = py - (u * s + v * c); // screen y points down
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  }
  ctx.closePath();
};

DR.Renderer.prototype.drawAircraft = function (ctx, t) {
  var tr = this.data.tracks, ac = this.data.aircraft, st = this.data.style, v = this.view;
  var L = this.state.layers, hl = this.state.highlighted(), self = this;
  var markers = [];
  for (var a = 0; a < tr.n; a++) {
    var p = tr.at(a, t);
    if (p === null) continue;
    if (!L.missiles && ac.kind[a] === "missile") continue;
    var q = v.project(p.x, p.y);
    markers.push({ a: a, id: ac.ids[a], x: p.x, y: p.y, px: q[0], py: q[1] });
    if (q[0] < -20 || q[1] < -20 || q[0] > v.w + 20 || q[1] > v.h + 20) continue;
    var color = this.sideColor(ac.side[a]);
    var look = st.shape_style[ac.kind[a]] || st.shape_style.fixed_wing;
    this.aircraftPath(ctx, a, q[0], q[1], p.heading);
    ctx.lineJoin = "miter";
    if (look.face === "white") {
      ctx.fillStyle = "#ffffff";
      ctx.strokeStyle = color;
    } else if (look.face === "dark") {
      ctx.fillStyle = DR.darker(color, 0.45);
      ctx.strokeStyle = "#000000";
    } else {
      ctx.fillStyle = color;
      ctx.strokeStyle = "#ffffff";
    }
    ctx.fill();
    ctx.lineWidth = look.width;
    ctx.stroke();
  }
  this.markers = markers;
  var labelled = L.labels ? markers : markers.filter(function (m) { return hl.indexOf(m.a) >= 0; });
  var taken = markers.map(function (m) { return { x0: m.px - 6, y0: m.py - 6, x1: m.px + 6, y1: m.py + 6 }; });
  labelled.forEach(function (m) { // the first free spot around the marker, else above right
    var opts = { size: 11, color: DR.darker(self.sideColor(ac.side[m.a]), 0.75), taken: taken };
    for (var i = 0; i < DR.LABEL_SPOTS.length; i++) {
      var s = DR.LABEL_SPOTS[i];
      opts.align = s[2];
      opts.base = s[3];
      if (self.label(ctx, m.id, m.px + s[0] * 10, m.py + s[1] * 8, opts)) return;
    }
    opts.force = true;
    self.label(ctx, m.id, m.px + 10, m.py - 8, Object.assign(opts, { align: "left", base: "bottom" }));
  });
  markers.forEach(function (m) {
    if (hl.indexOf(m.a) < 0) return;
    ctx.beginPath();
    ctx.arc(m.px, m.py, 14, 0, 2 * Math.PI);
    ctx.strokeStyle = "#111111";
    ctx.lineWidth = 1.5;
    ctx.stroke();
  });
  if (this.state.selectedEnc !== null) {
    var pair = markers.filter(function (m) { return hl.indexOf(m.a) >= 0; });
    if (pair.length === 2) {
      ctx.beginPath();
      ctx.moveTo(pair[0].px, pair[0].py);
      ctx.lineTo(pair[1].px, pair[1].py);
      ctx.setLineDash([3, 3]);
      ctx.strokeStyle = "#111111";
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }
};

/* The marker nearest a pixel, within radius pixels (or null). */
DR.Renderer.prototype.hit = function (px, py, radius) {
  var best = null, bd = radius;
  this.markers.forEach(function (m) {
    var d = Math.hypot(m.px - px, m.py - py);
    if (d <= bd) { bd = d; best = m; }
  });
  return best;
};
