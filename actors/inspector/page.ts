/**
 * The inspector page: one HTML file, one script and one style sheet, all
 * served by the inspector itself (no CDN, no third-party code). The script
 * draws each machine's chart as nested boxes from the graph that
 * `machineGraph()` computed, and keeps one model of the actors that live
 * frames, a reconnect's `init` and a loaded recording all go through.
 *
 * Browser-safe (plain strings).
 *
 * @module
 */

/** The page's HTML. */
export const PAGE_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>xmpp-actors inspector</title>
<meta name="referrer" content="no-referrer">
<link rel="stylesheet" href="inspector.css">
</head>
<body>
<header>
  <strong>xmpp-actors inspector</strong>
  <span id="conn" class="conn">connecting…</span>
  <span id="mode">live</span>
  <span id="dropped" title="frames dropped because this page fell behind">dropped: 0</span>
  <button id="pause" type="button">Pause</button>
  <button id="record" type="button">Record</button>
  <button id="save" type="button" disabled>Save recording</button>
  <label class="file">Load recording <input id="load" type="file" accept=".jsonl,.json,application/x-ndjson"></label>
  <button id="live" type="button" hidden>Back to live</button>
</header>
<div id="replay" hidden>
  <input id="slider" type="range" min="0" max="0" value="0">
  <span id="position">0 / 0</span>
  <span id="current"></span>
</div>
<main>
  <section id="tree-pane"><h2>Actors</h2><ul id="tree"></ul></section>
  <section id="charts-pane"><h2>Machines</h2><div id="charts"></div></section>
  <section id="seq-pane">
    <h2>Messages</h2>
    <div class="filters">
      <select id="filter-actor"><option value="">all actors</option></select>
      <input id="filter-type" placeholder="event type contains…">
    </div>
    <table id="seq"><thead><tr><th>time</th><th>from</th><th>to</th><th>event</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script src="inspector.js"></script>
</body>
</html>
`;

/** The page's style sheet. */
export const PAGE_CSS: string = `
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 13px/1.35 system-ui, sans-serif; color: #1d2230; background: #f6f7f9; }
header { display: flex; gap: .8em; align-items: center; padding: .5em 1em; background: #1d2230; color: #fff; flex-wrap: wrap; }
header button, header .file { font: inherit; }
.file input { width: 12em; }
.conn.up { color: #7ee08a; } .conn.down { color: #ff8a80; }
#dropped.some { color: #ffd166; font-weight: bold; }
#replay { padding: .4em 1em; background: #fff3cd; display: flex; gap: 1em; align-items: center; }
#slider { flex: 1; }
main { display: grid; grid-template-columns: 18em 1fr 32em; gap: .6em; padding: .6em; height: calc(100vh - 3.2em); }
section { background: #fff; border: 1px solid #d8dbe2; border-radius: 6px; padding: .4em .6em; overflow: auto; }
h2 { font-size: 1em; margin: .2em 0 .5em; color: #4a5163; }
#tree, #tree ul { list-style: none; padding-left: 1em; margin: 0; }
#tree { padding-left: 0; }
#tree li > .row { cursor: pointer; padding: 1px 3px; border-radius: 3px; white-space: nowrap; }
#tree li > .row:hover, #tree li.selected > .row { background: #e6f0ff; }
#tree .val { color: #2b7a3d; font-family: ui-monospace, monospace; font-size: 11px; }
#tree .sid { color: #98a; font-size: 10px; }
.chart { margin-bottom: 1em; border: 1px solid #e2e5eb; border-radius: 6px; padding: .4em; }
.chart.selected { border-color: #3b82f6; box-shadow: 0 0 0 2px #bfdbfe; }
.chart > h3 { margin: 0 0 .3em; font-size: 1em; }
.st { border: 1px solid #9aa3b5; border-radius: 8px; padding: 3px 6px; margin: 4px; background: #fff; display: inline-block; vertical-align: top; min-width: 6em; }
.st.active { border: 2px solid #16a34a; background: #ecfdf3; }
.st.atomic.active > .head { color: #166534; font-weight: bold; }
.st.final { border-style: double; border-width: 4px; }
.st.history { border-style: dotted; }
.st > .head { font-weight: 600; }
.st > .head .mark { font-weight: normal; color: #6b7280; font-size: 10px; margin-left: .4em; }
.kids { display: flex; flex-wrap: wrap; align-items: flex-start; }
.kids.parallel > .st { border-style: dashed; }
.tr { margin: 2px 0; padding-left: .6em; font-size: 11px; color: #374151; list-style: none; }
.tr li.always { color: #7c3aed; } .tr li.after { color: #b45309; }
.note { font-size: 10px; background: #fffbe6; border: 1px solid #f0e2a0; padding: 0 4px; margin: 2px 0; border-radius: 3px; }
#seq { border-collapse: collapse; width: 100%; font-size: 12px; }
#seq td, #seq th { border-bottom: 1px solid #eee; padding: 2px 4px; text-align: left; vertical-align: top; }
#seq td.type { font-family: ui-monospace, monospace; color: #1e40af; }
#seq td.t { color: #888; white-space: nowrap; }
.filters { display: flex; gap: .4em; margin-bottom: .4em; }
.filters input { flex: 1; }
`;

/** The page's script (plain ES2020, no imports). */
export const PAGE_JS: string = String.raw`"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var MAX_EVENTS = 5000, MAX_ROWS = 300, MAX_LOG = 200000;
  // One model: actors by session id, events newest last.
  function emptyModel() { return { actors: new Map(), events: [] }; }
  var live = emptyModel();
  var view = live;            // what is drawn: live, or a replay position
  var replay = null;          // { frames, pos }
  var recording = null;       // frames since Record was pressed
  var lastLog = null;         // the last stopped recording
  var paused = false, pendingAck = false, dirty = false, ws = null, dropped = 0;
  var selected = null;

  function actorFrameOf(a) {
    return { type: "@xstate.actor", sessionId: a.sessionId, rootId: a.rootId, parentId: a.parentId,
      name: a.name, graph: a.graph, snapshot: { status: a.status, value: a.value },
      createdAt: String(Date.now()), id: null, _version: "xmpp-actors-inspector/1", seq: 0 };
  }
  function apply(m, f) {
    if (!f || typeof f.type !== "string") return;
    if (f.type === "@xstate.actor") {
      var s = f.snapshot || {};
      if (s.status && s.status !== "active") { m.actors.delete(f.sessionId); return; }
      m.actors.set(f.sessionId, { sessionId: f.sessionId, rootId: f.rootId, parentId: f.parentId,
        name: f.name || f.sessionId, graph: f.graph, status: s.status || "active", value: s.value });
    } else if (f.type === "@xstate.snapshot") {
      var a = m.actors.get(f.sessionId), st = (f.snapshot || {}).status || "active";
      if (!a) return;
      if (st !== "active") m.actors.delete(f.sessionId);
      else a.value = (f.snapshot || {}).value;
    } else if (f.type === "@xstate.event") {
      m.events.push(f);
      if (m.events.length > MAX_EVENTS) m.events.splice(0, m.events.length - MAX_EVENTS);
    }
  }
  function record(f) {
    if (recording && recording.length < MAX_LOG) recording.push(f);
  }

  // ---- connection to the inspector --------------------------------------
  function connect() {
    // Beside the page, behind the same token: /<token>/page.
    var url = new URL("page", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.hash = ""; url.search = "";
    ws = new WebSocket(url);
    ws.onopen = function () { $("conn").textContent = "connected"; $("conn").className = "conn up"; };
    ws.onclose = function () {
      $("conn").textContent = "disconnected, retrying…"; $("conn").className = "conn down";
      setTimeout(connect, 1000);
    };
    ws.onmessage = function (e) {
      var msg; try { msg = JSON.parse(e.data); } catch (_) { return; }
      if (msg.kind === "init") {
        live = emptyModel();
        msg.actors.forEach(function (f) { apply(live, f); record(f); });
        msg.events.forEach(function (f) { apply(live, f); });
        dropped = 0;
      } else if (msg.kind === "batch") {
        msg.frames.forEach(function (f) { apply(live, f); record(f); });
        dropped = msg.dropped || 0;
      }
      if (!replay) view = live;
      dirty = true;
      if (paused) pendingAck = true; else ack();
    };
  }
  function ack() {
    pendingAck = false;
    if (ws && ws.readyState === 1) ws.send('{"kind":"ack"}');
  }

  // ---- drawing -----------------------------------------------------------
  function activePaths(value, prefix, out) {
    if (typeof value === "string") out.add(prefix ? prefix + "." + value : value);
    else if (value && typeof value === "object") {
      Object.keys(value).forEach(function (k) {
        var p = prefix ? prefix + "." + k : k;
        out.add(p); activePaths(value[k], p, out);
      });
    }
    return out;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function shortTarget(id, rootId) { return id.indexOf(rootId + ".") === 0 ? id.slice(rootId.length + 1) : "#" + id; }
  function drawState(s, active, rootId, parallel) {
    var path = s.path.join(".");
    var box = el("div", "st " + s.type + (s.path.length === 0 || active.has(path) ? " active" : ""));
    box.dataset.path = path;
    var head = el("div", "head", s.key);
    var marks = [];
    if (s.type === "final") marks.push("final");
    if (s.type === "parallel") marks.push("parallel");
    if (s.type === "history") marks.push("history" + (s.history === "deep" ? " (deep)" : ""));
    if (s.initial) marks.push("initial: " + s.initial);
    if (marks.length) head.appendChild(el("span", "mark", marks.join(", ")));
    box.appendChild(head);
    if (s.transitions.length) {
      var ul = el("ul", "tr");
      s.transitions.forEach(function (t) {
        var to = t.targets.length ? t.targets.map(function (x) { return shortTarget(x, rootId); }).join(", ") : "(self)";
        ul.appendChild(el("li", t.kind, t.label + " → " + to));
      });
      box.appendChild(ul);
    }
    s.actors.forEach(function (a) {
      box.appendChild(el("div", "note", a.kind + ": " + a.src + (a.id && a.id !== a.src ? " (" + a.id + ")" : "")));
    });
    if (s.states.length) {
      var kids = el("div", "kids" + (s.type === "parallel" ? " parallel" : ""));
      s.states.forEach(function (c) { kids.appendChild(drawState(c, active, rootId, s.type === "parallel")); });
      box.appendChild(kids);
    }
    return box;
  }
  function drawCharts(m) {
    var root = $("charts"); root.textContent = "";
    m.actors.forEach(function (a) {
      if (!a.graph) return;
      var c = el("div", "chart" + (selected === a.sessionId ? " selected" : ""));
      c.dataset.actor = a.name; c.dataset.session = a.sessionId;
      c.appendChild(el("h3", "", a.name + " (" + a.graph.id + ") — " + JSON.stringify(a.value)));
      c.appendChild(drawState(a.graph.root, activePaths(a.value, "", new Set()), a.graph.id, false));
      root.appendChild(c);
    });
  }
  function drawTree(m) {
    var tree = $("tree"); tree.textContent = "";
    var kids = new Map();
    m.actors.forEach(function (a) {
      var p = a.parentId && m.actors.has(a.parentId) ? a.parentId : "";
      if (!kids.has(p)) kids.set(p, []);
      kids.get(p).push(a);
    });
    function add(ul, parent) {
      (kids.get(parent) || []).forEach(function (a) {
        var li = el("li", selected === a.sessionId ? "selected" : "");
        li.dataset.name = a.name; li.dataset.session = a.sessionId;
        var row = el("div", "row");
        row.appendChild(el("span", "name", a.name + " "));
        if (a.value !== undefined) row.appendChild(el("span", "val", JSON.stringify(a.value) + " "));
        row.appendChild(el("span", "sid", a.sessionId));
        row.onclick = function () { selected = a.sessionId; dirty = true; };
        li.appendChild(row);
        if (kids.has(a.sessionId)) { var sub = el("ul"); add(sub, a.sessionId); li.appendChild(sub); }
        ul.appendChild(li);
      });
    }
    add(tree, "");
  }
  var names = new Map();
  function nameOf(m, id) {
    if (!id) return "(outside)";
    var a = m.actors.get(id);
    if (a) { names.set(id, a.name); return a.name; }
    return names.get(id) || id;
  }
  function drawSequence(m) {
    m.actors.forEach(function (a) { names.set(a.sessionId, a.name); });
    var sel = $("filter-actor"), keep = sel.value, seen = new Set();
    var opts = ['<option value="">all actors</option>'];
    names.forEach(function (n) { if (!seen.has(n)) { seen.add(n); opts.push(n); } });
    if (sel.options.length !== seen.size + 1) {
      sel.textContent = "";
      sel.appendChild(new Option("all actors", ""));
      seen.forEach(function (n) { sel.appendChild(new Option(n, n)); });
      sel.value = keep;
    }
    var actor = sel.value, type = $("filter-type").value.trim();
    var body = $("seq").tBodies[0]; body.textContent = "";
    var n = 0;
    for (var i = m.events.length - 1; i >= 0 && n < MAX_ROWS; i--) {
      var f = m.events[i], from = nameOf(m, f.sourceId), to = nameOf(m, f.sessionId);
      var t = f.event && f.event.type || "";
      if (actor && from !== actor && to !== actor) continue;
      if (type && t.indexOf(type) < 0) continue;
      var tr = el("tr"); tr.dataset.type = t; tr.dataset.from = from; tr.dataset.to = to;
      var d = new Date(Number(f.createdAt));
      tr.appendChild(el("td", "t", d.toLocaleTimeString() + "." + String(d.getMilliseconds()).padStart(3, "0")));
      tr.appendChild(el("td", "", from));
      tr.appendChild(el("td", "", to));
      var td = el("td", "type", t); td.title = JSON.stringify(f.event);
      tr.appendChild(td);
      body.appendChild(tr); n++;
    }
  }
  function draw() {
    if (dirty) {
      dirty = false;
      drawTree(view); drawCharts(view); drawSequence(view);
      $("dropped").textContent = "dropped: " + dropped;
      $("dropped").className = dropped > 0 ? "some" : "";
      $("save").disabled = !(recording && recording.length) && !(lastLog && lastLog.length);
      document.body.dataset.actors = String(view.actors.size);
      document.body.dataset.events = String(view.events.length);
    }
    requestAnimationFrame(draw);
  }

  // ---- controls ------------------------------------------------------------
  $("filter-actor").onchange = $("filter-type").oninput = function () { dirty = true; };
  $("pause").onclick = function () {
    paused = !paused;
    $("pause").textContent = paused ? "Resume" : "Pause";
    if (!paused && pendingAck) ack();
  };
  $("record").onclick = function () {
    if (recording) {
      lastLog = recording; recording = null; $("record").textContent = "Record";
    } else {
      recording = []; live.actors.forEach(function (a) { recording.push(actorFrameOf(a)); });
      $("record").textContent = "Stop recording";
    }
    dirty = true;
  };
  $("save").onclick = function () {
    var frames = recording || lastLog || [];
    var blob = new Blob([frames.map(function (f) { return JSON.stringify(f); }).join("\n") + "\n"], { type: "application/x-ndjson" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "inspector-" + new Date().toISOString().replace(/[:.]/g, "-") + ".jsonl";
    document.body.appendChild(a); a.click(); a.remove();
  };
  $("load").onchange = function () {
    var file = $("load").files[0]; if (!file) return;
    file.text().then(function (text) {
      var frames = [];
      text.split("\n").forEach(function (line) {
        line = line.trim(); if (!line) return;
        try { var f = JSON.parse(line); if (f && typeof f.type === "string") frames.push(f); } catch (_) {}
      });
      replay = { frames: frames, pos: frames.length };
      $("slider").max = String(frames.length); $("slider").value = String(frames.length);
      $("replay").hidden = false; $("live").hidden = false; $("mode").textContent = "replay";
      seek(frames.length);
    });
  };
  function seek(pos) {
    var m = emptyModel();
    for (var i = 0; i < pos; i++) apply(m, replay.frames[i]);
    replay.pos = pos; view = m;
    $("position").textContent = pos + " / " + replay.frames.length;
    var f = replay.frames[pos - 1];
    $("current").textContent = f ? f.type + " " + (f.event ? f.event.type : f.name || "") : "";
    dirty = true;
  }
  $("slider").oninput = function () { seek(Number($("slider").value)); };
  $("live").onclick = function () {
    replay = null; view = live; $("replay").hidden = true; $("live").hidden = true;
    $("mode").textContent = "live"; $("load").value = ""; dirty = true;
  };

  connect();
  requestAnimationFrame(draw);
})();
`;
