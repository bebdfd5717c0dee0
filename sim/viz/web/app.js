/* The player: the clock and its controls, the mouse on the map, the keyboard, and the
   `window.replay` object through which a script (or a test) can drive the page. */
"use strict";
var DR = (window.DR = window.DR || {});

DR.SPEEDS = [
  [10, "10 s / s"], [30, "30 s / s"], [60, "1 min / s"], [120, "2 min / s"], [300, "5 min / s"],
  [600, "10 min / s"], [1200, "20 min / s"], [1800, "30 min / s"], [3600, "1 h / s"]
];

DR.App = function () {
  var data = (this.data = DR.load()), self = this;
  this.state = {
    t: data.meta.t0_s,
    playing: false,
    speed: DR.App.defaultSpeed(data.meta.t1_s - data.meta.t0_s),
    selectedEnc: null,
    selectedAc: null,
    trailS: 600,
    layers: { borders: true, places: true, river: true, line: true, zones: true, areas: true,
              trails: true, rings: true, labels: !!data.meta.labels, missiles: true,
              legend: true },
    highlighted: function () { return self.highlighted(); }
  };
  this.canvas = document.getElementById("map");
  this.view = new DR.View(data.map.home);
  this.renderer = new DR.Renderer(this.canvas, data, this.view, this.state);
  this.panel = new DR.Panel(this);
  this.slider = document.getElementById("slider");
  this.pending = false;
  this.last = null;
  this.atHome = true;
};

/* A speed that plays the window in about two and a half minutes. */
DR.App.defaultSpeed = function (span) {
  var best = DR.SPEEDS[0][0];
  DR.SPEEDS.forEach(function (s) {
    if (Math.abs(Math.log(s[0] / (span / 150))) < Math.abs(Math.log(best / (span / 150)))) best = s[0];
  });
  return best;
};

DR.App.prototype.start = function () {
  var m = this.data.meta, self = this;
  this.panel.build();
  this.slider.min = Math.floor(m.t0_s);
  this.slider.max = Math.ceil(m.t1_s);
  var speed = document.getElementById("speed");
  speed.innerHTML = DR.SPEEDS.map(function (s) {
    return '<option value="' + s[0] + '">' + s[1] + "</option>";
  }).join("");
  speed.value = String(this.state.speed);
  speed.addEventListener("change", function () { self.setSpeed(+speed.value); });
  this.slider.addEventListener("input", function () { self.setTime(+self.slider.value); });
  this.button("play", function () { self.toggle(); });
  this.button("prev-enc", function () { self.stepEncounter(-1); });
  this.button("next-enc", function () { self.stepEncounter(1); });
  this.button("zoom-in", function () { self.zoom(1.6); });
  this.button("zoom-out", function () { self.zoom(1 / 1.6); });
  this.button("zoom-home", function () { self.home(); });
  this.button("sel-zoom", function () { self.zoomToSelection(); });
  this.button("sel-clear", function () { self.clearSelection(); });
  this.button("help", function () { self.toggleKeys(); });
  document.getElementById("ticker").addEventListener("click", function (ev) {
    var li = ev.target.closest("li[data-t]");
    if (li) self.setTime(+li.dataset.t);
  });
  var marks = document.getElementById("marks");
  marks.addEventListener("click", function (ev) {
    var r = marks.getBoundingClientRect();
    self.setTime(self.panel.xToTime(r.width, ev.clientX - r.left));
  });
  this.mouse();
  document.addEventListener("keydown", function (ev) { self.key(ev); });
  window.addEventListener("resize", function () { self.resize(); });
  this.resize();
  this.view.reset();
  this.panel.syncLayers();
  this.drawNow();
  this.expose();
};

DR.App.prototype.button = function (id, fn) {
  document.getElementById(id).addEventListener("click", function (ev) {
    ev.currentTarget.blur(); // the keyboard goes back to the page (space must not click again)
    fn();
  });
};

DR.App.prototype.resize = function () {
  this.renderer.resize();
  if (this.atHome) this.view.reset();
  this.panel.drawMarks();
  this.drawNow();
};

/* ---------------------------------------------------------------- the clock */

DR.App.prototype.setTime = function (t) {
  var m = this.data.meta;
  this.state.t = Math.min(Math.max(t, m.t0_s), m.t1_s);
  this.request();
};

DR.App.prototype.setSpeed = function (v) {
  this.state.speed = v;
  document.getElementById("speed").value = String(v);
};

DR.App.prototype.stepSpeed = function (dir) {
  var i = DR.SPEEDS.findIndex(function (s) { return s[0] === this.state.speed; }, this);
  i = Math.min(Math.max((i < 0 ? 4 : i) + dir, 0), DR.SPEEDS.length - 1);
  this.setSpeed(DR.SPEEDS[i][0]);
};

DR.App.prototype.play = function () {
  if (this.state.t >= this.data.meta.t1_s) this.state.t = this.data.meta.t0_s;
  this.state.playing = true;
  this.last = null;
  this.syncPlay();
  this.request();
};

DR.App.prototype.pause = function () {
  this.state.playing = false;
  this.syncPlay();
};

DR.App.prototype.toggle = function () {
  if (this.state.playing) this.pause(); else this.play();
};

DR.App.prototype.syncPlay = function () {
  var playing = this.state.playing;
  document.getElementById("icon-play").hidden = playing;
  document.getElementById("icon-pause").hidden = !playing;
  document.getElementById("play").setAttribute("aria-label", playing ? "pause" : "play");
};

DR.App.prototype.request = function () {
  if (this.pending) return;
  this.pending = true;
  var self = this;
  window.requestAnimationFrame(function (now) { self.frame(now); });
};

DR.App.prototype.frame = function (now) {
  this.pending = false;
  if (this.state.playing) {
    if (this.last !== null) {
      var dt = Math.min((now - this.last) / 1000, 0.25); // a hidden tab does not jump ahead
      this.state.t = Math.min(this.state.t + dt * this.state.speed, this.data.meta.t1_s);
      if (this.state.t >= this.data.meta.t1_s) this.pause();
    }
    this.last = now;
  }
  this.drawNow();
  if (this.state.playing) this.request();
};

DR.App.prototype.drawNow = function () {
  var t = this.state.t;
  this.renderer.draw(t);
  this.panel.update(t);
  if (+this.slider.value !== Math.round(t)) this.slider.value = String(Math.round(t));
};

/* ---------------------------------------------------------------- selection */

DR.App.prototype.highlighted = function () {
  var s = this.state, d = this.data;
  if (s.selectedEnc !== null) {
    var e = d.encounters[s.selectedEnc];
    return [d.index[e.a], d.index[e.b]].filter(function (a) { return a !== undefined; });
  }
  return s.selectedAc !== null ? [s.selectedAc] : [];
};

/* Select encounter k; with seek, the clock goes to its closest approach. */
DR.App.prototype.selectEncounter = function (k, seek) {
  this.state.selectedEnc = k;
  this.state.selectedAc = null;
  if (seek) {
    this.pause();
    this.setTime(this.data.encounters[k].t_cpa_s);
  }
  var row = document.querySelector('#encounters tr[data-k="' + k + '"]');
  if (row) row.scrollIntoView({ block: "nearest" });
  this.request();
};

DR.App.prototype.selectAircraft = function (a) {
  this.state.selectedAc = a;
  this.state.selectedEnc = null;
  this.request();
};

DR.App.prototype.clearSelection = function () {
  this.state.selectedAc = null;
  this.state.selectedEnc = null;
  this.request();
};

/* The next (dir = 1) or previous (dir = -1) closest approach from the clock. */
DR.App.prototype.stepEncounter = function (dir) {
  var enc = this.data.encounters, t = this.state.t, pick = -1;
  for (var k = 0; k < enc.length; k++) {
    if (dir > 0 && enc[k].t_cpa_s > t + 0.5) { pick = k; break; }
    if (dir < 0 && enc[k].t_cpa_s < t - 0.5) pick = k;
  }
  if (pick >= 0) this.selectEncounter(pick, true);
};

/* ---------------------------------------------------------------- the view */

DR.App.prototype.zoom = function (factor) {
  this.atHome = false;
  this.view.zoomAt(this.view.w / 2, this.view.h / 2, factor);
  this.request();
};

DR.App.prototype.home = function () {
  this.atHome = true;
  this.view.reset();
  this.request();
};

DR.App.prototype.zoomToSelection = function () {
  var s = this.state, d = this.data, half;
  if (s.selectedEnc !== null) {
    var e = d.encounters[s.selectedEnc];
    half = 40e3;
    this.view.fit([e.x - half, e.x + half, e.y - half, e.y + half]);
  } else if (s.selectedAc !== null) {
    var p = d.tracks.at(s.selectedAc, s.t) ||
      d.tracks.at(s.selectedAc, Math.min(Math.max(s.t, d.tracks.first[s.selectedAc]), d.tracks.last[s.selectedAc]));
    half = 100e3;
    this.view.fit([p.x - half, p.x + half, p.y - half, p.y + half]);
  } else {
    return;
  }
  this.atHome = false;
  this.request();
};

DR.App.prototype.mouse = function () {
  var self = this, c = this.canvas, tip = document.getElementById("tooltip"), drag = null;
  function at(ev) {
    var r = c.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }
  c.addEventListener("mousedown", function (ev) {
    drag = { p: at(ev), moved: false };
    c.focus();
  });
  window.addEventListener("mouseup", function (ev) {
    if (drag && !drag.moved && ev.target === c) self.click(at(ev));
    drag = null;
    c.classList.remove("dragging");
  });
  c.addEventListener("mousemove", function (ev) {
    var p = at(ev);
    if (drag) {
      var dx = p[0] - drag.p[0], dy = p[1] - drag.p[1];
      if (drag.moved || Math.hypot(dx, dy) > 3) {
        drag.moved = true;
        c.classList.add("dragging");
        self.view.pan(dx, dy);
        self.atHome = false;
        drag.p = p;
        tip.hidden = true;
        self.request();
        return;
      }
    }
    var m = self.renderer.hit(p[0], p[1], 10);
    c.classList.toggle("over-aircraft", !!m);
    if (!m) { tip.hidden = true; return; }
    tip.innerHTML = self.panel.tooltip(m.a, self.state.t);
    tip.hidden = false;
    tip.style.left = Math.min(p[0] + 14, c.clientWidth - tip.offsetWidth - 4) + "px";
    tip.style.top = Math.max(p[1] - tip.offsetHeight - 8, 4) + "px";
  });
  c.addEventListener("mouseleave", function () { tip.hidden = true; });
  c.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var p = at(ev);
    self.atHome = false;
    self.view.zoomAt(p[0], p[1], Math.pow(1.0015, -ev.deltaY));
    self.request();
  }, { passive: false });
};

DR.App.prototype.click = function (p) {
  var m = this.renderer.hit(p[0], p[1], 10);
  if (m) return this.selectAircraft(m.a);
  var d = this.data, t = this.state.t, self = this, found = -1;
  d.encounters.forEach(function (e, k) {
    if (t < e.t_start_s || t > e.t_end_s + d.meta.afterglow_s) return;
    var q = self.view.project(e.x, e.y);
    if (Math.hypot(q[0] - p[0], q[1] - p[1]) <= self.renderer.ringRadius(e) + 4) found = k;
  });
  if (found >= 0) this.selectEncounter(found, false); else this.clearSelection();
};

/* ---------------------------------------------------------------- keyboard */

DR.App.prototype.toggleKeys = function () {
  var keys = document.getElementById("keys");
  keys.open = !keys.open;
  if (keys.open) keys.scrollIntoView({ block: "nearest" });
};

DR.App.prototype.setLayer = function (name, on) {
  this.state.layers[name] = on;
  this.panel.syncLayers();
  this.request();
};

DR.App.prototype.key = function (ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var tag = ev.target.tagName;
  if (tag === "SELECT" || (tag === "INPUT" && ev.target.type !== "range")) return;
  var s = this.state, step = ev.shiftKey ? 600 : 60, L = s.layers;
  var keys = {
    " ": function () { this.toggle(); },
    ArrowRight: function () { this.setTime(s.t + step); },
    ArrowLeft: function () { this.setTime(s.t - step); },
    ArrowUp: function () { this.stepSpeed(1); },
    ArrowDown: function () { this.stepSpeed(-1); },
    n: function () { this.stepEncounter(1); },
    p: function () { this.stepEncounter(-1); },
    Home: function () { this.setTime(this.data.meta.t0_s); },
    End: function () { this.setTime(this.data.meta.t1_s); },
    z: function () { this.zoomToSelection(); },
    "+": function () { this.zoom(1.6); },
    "=": function () { this.zoom(1.6); },
    "-": function () { this.zoom(1 / 1.6); },
    "0": function () { this.home(); },
    l: function () { this.setLayer("labels", !L.labels); },
    t: function () { this.setLayer("trails", !L.trails); },
    Escape: function () { this.clearSelection(); },
    "?": function () { this.toggleKeys(); }
  };
  var fn = keys[ev.key.length === 1 ? ev.key.toLowerCase() : ev.key] || keys[ev.key];
  if (!fn) return;
  ev.preventDefault();
  fn.call(this);
};

/* ---------------------------------------------------------------- for scripts and tests */

DR.App.prototype.expose = function () {
  var self = this;
  window.replay = {
    ready: true,
    time: function () { return self.state.t; },
    setTime: function (t) { self.setTime(t); self.drawNow(); return self.state.t; },
    play: function () { self.play(); },
    pause: function () { self.pause(); },
    playing: function () { return self.state.playing; },
    speed: function () { return self.state.speed; },
    setSpeed: function (v) { self.setSpeed(v); },
    view: function () { return self.view.rect(); },
    project: function (x, y) { return self.view.project(x, y); },
    markers: function () {
      return self.renderer.markers.map(function (m) {
        return { id: m.id, x: m.x, y: m.y, px: m.px, py: m.py };
      });
    },
    selectedEncounter: function () { return self.state.selectedEnc; },
    highlighted: function () {
      return self.highlighted().map(function (a) { return self.data.aircraft.ids[a]; });
    },
    encounters: function () { return self.data.encounters; },
    setLayer: function (name, on) { self.setLayer(name, on); self.drawNow(); },
    layers: function () { return Object.assign({}, self.state.layers); }
  };
};

window.addEventListener("DOMContentLoaded", function () { new DR.App().start(); });
