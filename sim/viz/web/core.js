/* The replay's model: the data written into the page, every aircraft's position at any time
   (interpolated along its straight legs, as the simulator flies them), and the map's view of
   the simulation plane (metres, x east, y north). */
"use strict";
var DR = (window.DR = window.DR || {});

DR.load = function () {
  var raw = JSON.parse(document.getElementById("replay-data").textContent);
  raw.tracks = new DR.Tracks(raw.aircraft, raw.legs, raw.meta.time_unit_s);
  raw.index = {};
  raw.aircraft.ids.forEach(function (id, i) { raw.index[id] = i; });
  raw.categoryOf = {};
  raw.style.categories.forEach(function (c) { raw.categoryOf[c.name] = c; });
  return raw;
};

/* ---------------------------------------------------------------- positions */

DR.Tracks = function (aircraft, legs, unit) {
  var n = legs.t0.length, i;
  this.n = aircraft.ids.length;
  this.start = legs.start;
  this.count = legs.count;
  this.t0 = new Float64Array(n);
  this.t1 = new Float64Array(n);
  this.x0 = Float64Array.from(legs.x0);
  this.y0 = Float64Array.from(legs.y0);
  this.z0 = Float64Array.from(legs.z0);
  this.x1 = Float64Array.from(legs.x1);
  this.y1 = Float64Array.from(legs.y1);
  this.z1 = Float64Array.from(legs.z1);
  for (i = 0; i < n; i++) {
    this.t0[i] = legs.t0[i] * unit;
    this.t1[i] = Math.max(legs.t1[i] * unit, this.t0[i]);
  }
  this.first = new Float64Array(this.n);
  this.last = new Float64Array(this.n);
  this.heading = new Float64Array(n);
  for (var a = 0; a < this.n; a++) {
    var s = this.start[a], e = s + this.count[a];
    this.first[a] = this.t0[s];
    var last = -Infinity;
    for (i = s; i < e; i++) last = Math.max(last, this.t1[i]);
    this.last[a] = last;
    this._headings(s, e);
  }
};

/* Heading of each leg (radians counter-clockwise from east); a leg that does not move takes
   the heading of the moving leg before it, or failing that the one after it. */
DR.Tracks.prototype._headings = function (s, e) {
  var prev = null, i, pending = [];
  for (i = s; i < e; i++) {
    var dx = this.x1[i] - this.x0[i], dy = this.y1[i] - this.y0[i];
    if (Math.hypot(dx, dy) > 1) {
      prev = Math.atan2(dy, dx);
      this.heading[i] = prev;
      for (var k = 0; k < pending.length; k++) this.heading[pending[k]] = prev;
      pending = [];
    } else if (prev !== null) {
      this.heading[i] = prev;
    } else {
      pending.push(i);
    }
  }
  for (i = 0; i < pending.length; i++) this.heading[pending[i]] = Math.PI / 2;
};

/* The aircraft's leg at time t: the last one starting at or before t (its first if none). */
DR.Tracks.prototype.legAt = function (a, t) {
  var lo = this.start[a], hi = lo + this.count[a] - 1;
  if (t < this.t0[lo]) return lo;
  while (lo < hi) {
    var mid = (lo + hi + 1) >> 1;
    if (this.t0[mid] <= t) lo = mid; else hi = mid - 1;
  }
  return lo;
};

DR.Tracks.prototype.airborne = function (a, t) {
  return t >= this.first[a] && t <= this.last[a];
};

/* Where aircraft a is at time t: plane metres, altitude in feet, heading, ground speed (m/s),
   vertical speed (ft/s); null when it is not in the air. */
DR.Tracks.prototype.at = function (a, t) {
  if (!this.airborne(a, t)) return null;
  var i = this.legAt(a, t), dur = this.t1[i] - this.t0[i];
  var f = dur > 0 ? Math.min(Math.max((t - this.t0[i]) / dur, 0), 1) : 1;
  var dx = this.x1[i] - this.x0[i], dy = this.y1[i] - this.y0[i], dz = this.z1[i] - this.z0[i];
  return {
    x: this.x0[i] + f * dx,
    y: this.y0[i] + f * dy,
    alt_ft: this.z0[i] + f * dz,
    heading: this.heading[i],
    speed_mps: dur > 0 ? Math.hypot(dx, dy) / dur : 0,
    climb_fps: dur > 0 ? dz / dur : 0,
    leg: i
  };
};

/* Points of the aircraft's path between times ta and tb (leg corners included), oldest first. */
DR.Tracks.prototype.path = function (a, ta, tb) {
  ta = Math.max(ta, this.first[a]);
  tb = Math.min(tb, this.last[a]);
  if (tb < ta) return [];
  var pts = [], p = this.at(a, ta);
  pts.push([p.x, p.y, ta]);
  var s = this.start[a], e = s + this.count[a];
  for (var i = this.legAt(a, ta) + 1; i < e && this.t0[i] < tb; i++) {
    if (this.t0[i] > ta) pts.push([this.x0[i], this.y0[i], this.t0[i]]);
  }
  p = this.at(a, tb);
  pts.push([p.x, p.y, tb]);
  return pts;
};

/* ---------------------------------------------------------------- view */

/* The part of the plane the map shows: a centre and a scale (pixels per metre), in CSS pixels
   of a canvas w x h. */
DR.View = function (home) {
  this.home = home; // [x0, x1, y0, y1]
  this.w = 1;
  this.h = 1;
  this.cx = (home[0] + home[1]) / 2;
  this.cy = (home[2] + home[3]) / 2;
  this.s = 1e-3;
};

DR.View.prototype.resize = function (w, h) {
  this.w = w;
  this.h = h;
};

DR.View.prototype.fit = function (r) {
  var pad = 1.0;
  this.cx = (r[0] + r[1]) / 2;
  this.cy = (r[2] + r[3]) / 2;
  this.s = pad * Math.min(this.w / (r[1] - r[0]), this.h / (r[3] - r[2]));
};

DR.View.prototype.reset = function () { this.fit(this.home); };

DR.View.prototype.project = function (x, y) {
  return [this.w / 2 + (x - this.cx) * this.s, this.h / 2 - (y - this.cy) * this.s];
};

DR.View.prototype.unproject = function (px, py) {
  return [this.cx + (px - this.w / 2) / this.s, this.cy - (py - this.h / 2) / this.s];
};

DR.View.prototype.rect = function () {
  var hw = this.w / 2 / this.s, hh = this.h / 2 / this.s;
  return { x0: this.cx - hw, x1: this.cx + hw, y0: this.cy - hh, y1: this.cy + hh,
           width: this.w, height: this.h };
};

DR.View.prototype.homeScale = function () {
  var r = this.home;
  return Math.min(this.w / (r[1] - r[0]), this.h / (r[3] - r[2]));
};

/* Zoom by factor about the pixel (px, py), which keeps its place on the plane. */
DR.View.prototype.zoomAt = function (px, py, factor) {
  var hs = this.homeScale();
  var s = Math.min(Math.max(this.s * factor, hs / 4), hs * 400);
  var p = this.unproject(px, py);
  this.s = s;
  this.cx = p[0] - (px - this.w / 2) / s;
  this.cy = p[1] + (py - this.h / 2) / s;
};

DR.View.prototype.pan = function (dx, dy) {
  this.cx -= dx / this.s;
  this.cy += dy / this.s;
};

DR.View.prototype.key = function () {
  return [this.w, this.h, this.cx, this.cy, this.s].join(",");
};

/* ---------------------------------------------------------------- words */

DR.pad2 = function (n) { return (n < 10 ? "0" : "") + n; };

/* UTC clock time of a run time: "HH:MM:SS" (or "HH:MM" with short=true). */
DR.clock = function (startIso, t, short) {
  var d = new Date(Date.parse(startIso) + Math.round(t) * 1000);
  var s = DR.pad2(d.getUTCHours()) + ":" + DR.pad2(d.getUTCMinutes());
  return short ? s : s + ":" + DR.pad2(d.getUTCSeconds());
};

DR.date = function (startIso, t) {
  var d = new Date(Date.parse(startIso) + Math.round(t) * 1000);
  var days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return days[d.getUTCDay()] + " " + d.getUTCDate() + " " + months[d.getUTCMonth()] + " " +
    d.getUTCFullYear();
};

DR.elapsed = function (t) {
  var s = Math.max(0, Math.round(t));
  return "T+" + DR.pad2(Math.floor(s / 3600)) + ":" + DR.pad2(Math.floor((s % 3600) / 60));
};

DR.escape = function (text) {
  return String(text).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
};

/* Index of the last element of a sorted array that is <= v (-1 if none). */
DR.lastAtOrBefore = function (arr, v, key) {
  var lo = 0, hi = arr.length - 1, ans = -1;
  while (lo <= hi) {
    var mid = (lo + hi) >> 1, x = key ? key(arr[mid]) : arr[mid];
    if (x <= v) { ans = mid; lo = mid + 1; } else { hi = mid - 1; }
  }
  return ans;
};
