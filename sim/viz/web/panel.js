/* The side panel and the strips around the map: clock, counts, hotline, the encounter list,
   the event ticker, the selection, the legend, the layer switches and the time marks. */
"use strict";
var DR = (window.DR = window.DR || {});

DR.TICKER_LINES = 14;

DR.Panel = function (app) {
  this.app = app;
  this.data = app.data;
  this.el = function (id) { return document.getElementById(id); };
  this.tickerKey = null;
  this.activeKey = null;
};

DR.Panel.prototype.build = function () {
  var d = this.data, m = d.meta;
  this.el("title").textContent = m.title;
  var hours = (m.t1_s - m.t0_s) / 3600;
  this.el("subtitle").textContent = "scenario " + m.scenario + " \u00b7 protocol " + m.protocol +
    " \u00b7 seed " + m.seed + " \u00b7 " + DR.date(m.start_iso, m.t0_s) + " " +
    DR.clock(m.start_iso, m.t0_s, true) + " UTC, " +
    (hours >= 1 ? +hours.toFixed(1) + " h" : Math.round(hours * 60) + " min");
  this.buildEncounters();
  this.buildLegend();
  this.buildLayers();
};

DR.Panel.prototype.categoryDot = function (name) {
  var c = this.data.categoryOf[name], color = c ? c.color : "#000000";
  return '<span class="dot" style="border-color:' + color + '"></span>' +
    DR.escape(c ? c.label : name);
};

DR.Panel.prototype.encounterWords = function (e) {
  var u = this.data.units;
  return (e.h_m / u.nm_m).toFixed(1) + " NM, " + Math.round(Math.abs(e.v_m) / u.ft_m) + " ft";
};

DR.Panel.prototype.buildEncounters = function () {
  var d = this.data, self = this, body = document.querySelector("#encounters tbody");
  this.el("enc-count").textContent = "(" + d.encounters.length + ")";
  if (!d.encounters.length) {
    body.innerHTML = '<tr class="none"><td>no encounters in this window</td></tr>';
    return;
  }
  body.innerHTML = d.encounters.map(function (e, k) {
    return '<tr data-k="' + k + '" title="go to the closest approach">' +
      '<td class="when">' + DR.clock(d.meta.start_iso, e.t_cpa_s) + "</td>" +
      "<td>" + self.categoryDot(e.category) + " \u00b7 " + self.encounterWords(e) +
      '<div class="pair">' + DR.escape(e.a) + " \u00d7 " + DR.escape(e.b) + "</div></td></tr>";
  }).join("");
  body.addEventListener("click", function (ev) {
    var row = ev.target.closest("tr[data-k]");
    if (row) self.app.selectEncounter(+row.dataset.k, true);
  });
};

DR.Panel.prototype.markerSvg = function (kind, color) {
  var st = this.data.style, shape = st.shapes[kind], look = st.shape_style[kind];
  var pts = shape.map(function (p) { return (p[0] * 0.8 + 10).toFixed(1) + "," + (10 - p[1] * 0.8).toFixed(1); });
  var fill = look.face === "white" ? "#fff" : look.face === "dark" ? DR.darker(color, 0.45) : color;
  var edge = look.face === "side" ? "#fff" : look.face === "dark" ? "#000" : color;
  return '<svg width="20" height="20" viewBox="0 0 20 20"><polygon points="' + pts.join(" ") +
    '" fill="' + fill + '" stroke="' + edge + '" stroke-width="' + look.width + '"/></svg>';
};

DR.Panel.prototype.buildLegend = function () {
  var d = this.data, st = d.style, self = this, rows = [];
  var present = {};
  d.aircraft.ids.forEach(function (id, a) { present[d.aircraft.side[a] + "|" + d.aircraft.kind[a]] = 1; });
  var kindWords = { fixed_wing: "jets", uav: "drones", support: "tankers, AWACS", missile: "cruise missiles" };
  Object.keys(st.side_labels).forEach(function (side) {
    var kinds = Object.keys(kindWords).filter(function (k) { return present[side + "|" + k]; });
    if (!kinds.length) return;
    rows.push("<div>" + kinds.map(function (k) { return self.markerSvg(k, st.sides[side]); }).join("") +
      "<span>" + DR.escape(st.side_labels[side]) + ": " +
      kinds.map(function (k) { return kindWords[k]; }).join(", ") + "</span></div>");
  });
  st.categories.forEach(function (c) {
    rows.push('<div><svg width="20" height="20"><circle cx="10" cy="10" r="6.5" fill="none" stroke="' +
      c.color + '" stroke-width="2.5"/></svg><span>' + DR.escape(c.label) + " &lt;" +
      DR.escape(c.radius_text) + "</span></div>");
  });
  if (d.areas.length) {
    var labels = {};
    d.areas.forEach(function (a) { labels[a.label] = 1; });
    rows.push('<div><svg width="20" height="20"><circle cx="10" cy="10" r="7" fill="' +
      DR.rgba(st.map.notified, 0.16) + '" stroke="' + st.map.notified +
      '" stroke-dasharray="3 2" stroke-width="1.4"/></svg><span>' +
      DR.escape(Object.keys(labels).sort().join(", ")) + " (while open)</span></div>");
  }
  if (d.map.zones.length) {
    rows.push('<div><svg width="20" height="20"><rect x="3" y="3" width="14" height="14" fill="' +
      DR.rgba(st.map.zone, 0.15) + '" stroke="' + st.map.zone + '" stroke-width="1.3"/></svg>' +
      "<span>keep-out zone</span></div>");
  }
  if (d.map.lines.length) {
    rows.push('<div><svg width="20" height="20"><line x1="1" y1="10" x2="19" y2="10" stroke="#163e6b"' +
      ' stroke-width="2.4" stroke-dasharray="5 3"/></svg><span>' +
      DR.escape(d.map.lines.map(function (l) { return l.name; }).join(", ")) + "</span></div>");
  }
  this.el("legend").innerHTML = rows.join("");
};

DR.LAYERS = [
  ["borders", "countries and borders"], ["places", "cities and bases"], ["river", "Euphrates"],
  ["line", "deconfliction line"], ["zones", "keep-out zones"], ["areas", "notified areas"],
  ["trails", "trails (T)"], ["rings", "encounter rings"], ["labels", "aircraft labels (L)"],
  ["missiles", "cruise missiles"], ["legend", "legend"]
];

DR.Panel.prototype.buildLayers = function () {
  var app = this.app, st = this.data.style, m = this.data.map;
  var swatch = {
    borders: st.map.syria, places: st.map.city, river: st.map.river, line: "#163e6b",
    zones: st.map.zone, areas: st.map.notified, trails: st.sides.coalition,
    rings: st.categories.length ? st.categories[0].color : "#000000", labels: "#444444",
    missiles: "#333333", legend: "#ffffff"
  };
  var missing = { line: !m.lines.length, zones: !m.zones.length, areas: !this.data.areas.length };
  this.el("layer-list").innerHTML = DR.LAYERS.map(function (l) {
    return '<label><input type="checkbox" data-layer="' + l[0] + '"' +
      (app.state.layers[l[0]] ? " checked" : "") + '><span class="swatch" style="background:' +
      swatch[l[0]] + '"></span>' + l[1] + (missing[l[0]] ? ' <i>(none)</i>' : "") + "</label>";
  }).join("");
  this.el("layer-list").addEventListener("change", function (ev) {
    var name = ev.target.dataset.layer;
    if (name) app.setLayer(name, ev.target.checked);
  });
};

DR.Panel.prototype.syncLayers = function () {
  var layers = this.app.state.layers;
  document.querySelectorAll("#layer-list input").forEach(function (box) {
    box.checked = !!layers[box.dataset.layer];
  });
  this.el("legend").hidden = !layers.legend;
};

/* ---------------------------------------------------------------- every frame */

DR.Panel.prototype.update = function (t) {
  var d = this.data, m = d.meta, tr = d.tracks, ac = d.aircraft;
  this.el("utc").textContent = DR.clock(m.start_iso, t) + " UTC";
  this.el("date").textContent = DR.date(m.start_iso, t) + "   " + DR.elapsed(t);
  this.el("clock-small").textContent = DR.clock(m.start_iso, t) + " UTC  (" + DR.elapsed(t) + ")";
  var by = { coalition: 0, russia: 0 }, other = 0, missiles = 0;
  for (var a = 0; a < tr.n; a++) {
    if (!tr.airborne(a, t)) continue;
    if (ac.kind[a] === "missile") missiles++;
    else if (ac.side[a] in by) by[ac.side[a]]++;
    else other++;
  }
  var seen = d.encounters.filter(function (e) { return e.t_cpa_s <= t; }).length;
  this.el("counts").textContent = "airborne: " + by.coalition + " Coalition, " + by.russia +
    " Russia" + (other ? ", " + other + " other" : "") + (missiles ? ", " + missiles + " missiles" : "") +
    " \u00b7 encounters so far: " + seen;
  this.updateHotline(t);
  this.updateTicker(t);
  this.updateRows(t);
  this.updateSelection(t);
};

DR.Panel.prototype.updateHotline = function (t) {
  var h = this.data.hotline, el = this.el("hotline");
  var down = h.outages.some(function (s) { return t >= s[0] && t < s[1]; });
  if (!h.t.length && !h.outages.length) {
    el.textContent = "";
    return;
  }
  var k = DR.lastAtOrBefore(h.t, t), busy = k < 0 ? 0 : h.busy[k], queued = k < 0 ? 0 : h.queued[k];
  el.className = down ? "down" : "";
  el.textContent = "hotline: " + (down ? "DOWN \u00b7 " : "") +
    (busy ? busy + " call" + (busy > 1 ? "s" : "") + " in progress" : "no call in progress") +
    (queued ? ", " + queued + " waiting" : "");
};

DR.Panel.prototype.updateTicker = function (t) {
  var d = this.data, k = DR.lastAtOrBefore(d.ticker, t, function (e) { return e[0]; });
  var recentKey = k + "|" + Math.floor(t / 300);
  if (recentKey === this.tickerKey) return;
  this.tickerKey = recentKey;
  var lines = [];
  for (var i = k; i >= 0 && lines.length < DR.TICKER_LINES; i--) {
    var e = d.ticker[i], age = t - e[0];
    lines.push('<li data-t="' + e[0] + '" class="' + (age < 900 ? "recent" : age > 3600 ? "old" : "") +
      '" style="color:' + e[2] + '" title="go to this moment">' + DR.escape(e[1]) + "</li>");
  }
  if (!lines.length || !d.meta.protocol_events) {
    lines.push('<li class="none">' + (d.meta.protocol_events ? "(nothing yet)" :
      "(no protocol events: protocol " + DR.escape(d.meta.protocol) + ")") + "</li>");
  }
  this.el("ticker").innerHTML = lines.join("");
};

DR.Panel.prototype.updateRows = function (t) {
  var d = this.data, sel = this.app.state.selectedEnc;
  var key = sel + "|" + d.encounters.map(function (e) { return t >= e.t_start_s && t <= e.t_end_s ? 1 : 0; }).join("");
  if (key === this.activeKey) return;
  this.activeKey = key;
  document.querySelectorAll("#encounters tr[data-k]").forEach(function (row) {
    var k = +row.dataset.k, e = d.encounters[k];
    row.classList.toggle("active", t >= e.t_start_s && t <= e.t_end_s);
    row.classList.toggle("selected", k === sel);
  });
};

DR.Panel.prototype.aircraftRows = function (a, t) {
  var d = this.data, ac = d.aircraft, u = d.units, st = d.style, m = d.meta;
  var p = d.tracks.at(a, t), rows = [];
  rows.push(["type", ac.type[a]]);
  rows.push(["side", st.side_labels[ac.side[a]] || ac.side[a]]);
  rows.push(["mission", ac.mission[a] + (ac.target[a] ? " \u2192 " + ac.target[a] : "")]);
  if (ac.base[a]) rows.push(["from", ac.base[a]]);
  if (p) {
    var climb = p.climb_fps * 60;
    rows.push(["altitude", Math.round(p.alt_ft).toLocaleString("en-US") + " ft" +
      (Math.abs(climb) > 50 ? (climb > 0 ? " climbing " : " descending ") +
      Math.round(Math.abs(climb)).toLocaleString("en-US") + " ft/min" : "")]);
    rows.push(["speed", Math.round(p.speed_mps / u.kt_mps) + " kt"]);
  } else {
    rows.push(["now", "not in the air"]);
  }
  rows.push(["in the air", DR.clock(m.start_iso, d.tracks.first[a], true) + "\u2013" +
    DR.clock(m.start_iso, d.tracks.last[a], true) + " UTC"]);
  return rows;
};

DR.Panel.prototype.table = function (rows) {
  return "<table>" + rows.map(function (r) {
    return "<tr><td>" + DR.escape(r[0]) + "</td><td>" + (r[2] ? r[1] : DR.escape(r[1])) + "</td></tr>";
  }).join("") + "</table>";
};

DR.Panel.prototype.updateSelection = function (t) {
  var d = this.data, s = this.app.state, box = this.el("selection"), self = this;
  if (s.selectedAc === null && s.selectedEnc === null) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  if (s.selectedEnc !== null) {
    var e = d.encounters[s.selectedEnc], c = d.categoryOf[e.category];
    this.el("sel-title").innerHTML = this.categoryDot(e.category) + " at " +
      DR.clock(d.meta.start_iso, e.t_cpa_s) + " UTC";
    var who = [e.a, e.b].map(function (id) {
      var a = d.index[id];
      return a === undefined ? DR.escape(id) :
        '<a href="#" data-ac="' + a + '">' + DR.escape(id) + "</a> " +
        DR.escape(d.aircraft.type[a] + ", " + (d.style.side_labels[d.aircraft.side[a]] || d.aircraft.side[a]) +
        ", " + d.aircraft.mission[a]);
    });
    this.el("sel-body").innerHTML = this.table([
      ["closest", this.encounterWords(e) + " (" + (c ? c.label : e.category) + " < " + (c ? c.radius_text : "") + ")"],
      ["inside", DR.clock(d.meta.start_iso, e.t_start_s) + "\u2013" + DR.clock(d.meta.start_iso, e.t_end_s)],
      ["aircraft", who.join("<br>"), true]
    ]);
  } else {
    var a = s.selectedAc;
    this.el("sel-title").textContent = d.aircraft.ids[a];
    var mine = [];
    d.encounters.forEach(function (e, k) {
      if (e.a === d.aircraft.ids[a] || e.b === d.aircraft.ids[a]) {
        mine.push('<a href="#" data-enc="' + k + '">' + DR.clock(d.meta.start_iso, e.t_cpa_s, true) + " " +
          DR.escape(d.categoryOf[e.category] ? d.categoryOf[e.category].label : e.category) + "</a>");
      }
    });
    var rows = this.aircraftRows(a, t);
    if (mine.length) rows.push(["encounters", mine.join(", "), true]);
    this.el("sel-body").innerHTML = this.table(rows);
  }
  this.el("sel-body").querySelectorAll("a").forEach(function (link) {
    link.onclick = function (ev) {
      ev.preventDefault();
      if (link.dataset.ac !== undefined) self.app.selectAircraft(+link.dataset.ac);
      else self.app.selectEncounter(+link.dataset.enc, true);
    };
  });
};

DR.Panel.prototype.tooltip = function (a, t) {
  var d = this.data, ac = d.aircraft, p = d.tracks.at(a, t);
  if (!p) return "";
  return "<b>" + DR.escape(ac.ids[a]) + "</b><br>" + DR.escape(ac.type[a]) + " \u00b7 " +
    DR.escape(d.style.side_labels[ac.side[a]] || ac.side[a]) + " \u00b7 " + DR.escape(ac.mission[a]) +
    "<br>" + Math.round(p.alt_ft).toLocaleString("en-US") + " ft \u00b7 " +
    Math.round(p.speed_mps / d.units.kt_mps) + " kt";
};

/* ---------------------------------------------------------------- the time marks */

DR.THUMB_PX = 14; // the slider's thumb: the track runs from half a thumb to half a thumb

DR.Panel.prototype.drawMarks = function () {
  var canvas = this.el("marks"), d = this.data, m = d.meta;
  var w = canvas.clientWidth, h = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  var ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  var x = this.timeToX.bind(this, w);
  d.hotline.outages.forEach(function (s) {
    ctx.fillStyle = "rgba(176,0,32,0.25)";
    ctx.fillRect(x(s[0]), 12, Math.max(x(s[1]) - x(s[0]), 1), 6);
  });
  var step = (m.t1_s - m.t0_s) > 8 * 3600 ? 3600 * 3 : (m.t1_s - m.t0_s) > 2 * 3600 ? 3600 : 900;
  var start = Date.parse(m.start_iso) / 1000;
  ctx.font = "10px sans-serif";
  ctx.fillStyle = "#666";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (var k = Math.ceil((start + m.t0_s) / step) * step - start; k <= m.t1_s; k += step) {
    ctx.fillRect(x(k) - 0.5, 20, 1, 6);
    var label = DR.clock(m.start_iso, k, true), half = ctx.measureText(label).width / 2;
    ctx.fillText(label, Math.min(Math.max(x(k), half), w - half), 0);
  }
  d.encounters.forEach(function (e) {
    var c = d.categoryOf[e.category];
    ctx.fillStyle = c ? c.color : "#000";
    ctx.fillRect(x(e.t_cpa_s) - 1.5, 11, 3, 15);
  });
};

DR.Panel.prototype.timeToX = function (w, t) {
  var m = this.data.meta, f = (t - m.t0_s) / Math.max(m.t1_s - m.t0_s, 1);
  return DR.THUMB_PX / 2 + f * (w - DR.THUMB_PX);
};

DR.Panel.prototype.xToTime = function (w, x) {
  var m = this.data.meta, f = (x - DR.THUMB_PX / 2) / Math.max(w - DR.THUMB_PX, 1);
  return m.t0_s + Math.min(Math.max(f, 0), 1) * (m.t1_s - m.t0_s);
};
