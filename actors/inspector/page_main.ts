/**
 * The inspector page's core (a part of its script): the model of actors
 * and events, the connection to the inspector, the actor tree with each
 * actor's role and identity (client JID, storage kind and place), the time
 * travel over everything received (Pause, Step, the slider), the hot swap
 * markers and migration bar, and recordings (Record, Save, Load).
 *
 * Browser-safe (a plain string, joined into `PAGE_JS`). Text goes in with
 * `textContent` only.
 *
 * @module
 */

/** Core of the page script; `start()` runs it. */
export const MAIN_JS: string = String.raw`
  var $ = function (id) { return document.getElementById(id); };
  var MAX_EVENTS = 5000, MAX_ROWS = 300, MAX_LOG = 200000;
  function emptyModel() { return { actors: new Map(), events: [], taken: new Map() }; }
  var live = emptyModel();
  var view = live;            // what is drawn: live, or a position in a log
  var log = [];               // every frame received since the page opened (or init)
  var replay = null;          // { frames, pos, file }: a position in log or in a loaded file
  var recording = null;       // frames since Record was pressed
  var lastLog = null;         // the last stopped recording
  var paused = false, pendingAck = false, dirty = false, ws = null, dropped = 0;
  var selected = null, scrollTo = null, detail = null, detailKey = null;
  var names = new Map(), full = new Set(); // names of actors seen; charts at full size

  function actorFrameOf(a) {
    return { type: "@xstate.actor", sessionId: a.sessionId, rootId: a.rootId, parentId: a.parentId,
      name: a.name, graph: a.graph, layout: a.layout, layoutNote: a.layoutNote, snapshot: { status: a.status, value: a.value },
      createdAt: String(Date.now()), id: null, _version: "xmpp-actors-inspector/1", seq: 0 };
  }
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
  function apply(m, f) {
    if (!f || typeof f.type !== "string") return;
    if (f.type === "@xstate.actor") {
      var s = f.snapshot || {};
      if (f.name) names.set(f.sessionId, f.name); // kept after it stops
      if (s.status && s.status !== "active") { m.actors.delete(f.sessionId); return; }
      m.actors.set(f.sessionId, { sessionId: f.sessionId, rootId: f.rootId, parentId: f.parentId,
        name: f.name || f.sessionId, graph: f.graph, layout: f.layout, layoutNote: f.layoutNote, status: s.status || "active", value: s.value, at: f.createdAt });
    } else if (f.type === "@xstate.snapshot") {
      var a = m.actors.get(f.sessionId), st = (f.snapshot || {}).status || "active";
      if (!a) return;
      if (st !== "active") { m.actors.delete(f.sessionId); return; }
      var before = activePaths(a.value, "", new Set());
      a.value = (f.snapshot || {}).value;
      m.taken.set(a.sessionId, { at: f.createdAt, edges: takenEdges(a, before, activePaths(a.value, "", new Set())) });
    } else if (f.type === "@xstate.event") {
      m.events.push(f);
      if (m.events.length > MAX_EVENTS) m.events.splice(0, m.events.length - MAX_EVENTS);
      var t = f.event && f.event.type;
      if (t === "api.copy_progress" && f.event.progress) m.progress = { registry: f.sessionId, p: f.event.progress };
    }
  }
  // The newest layout of each actor, whenever it came: a layout is made
  // after the actor is first described (in the server's worker), and a
  // view back in time draws the actor with it all the same.
  var laidOut = new Map();
  function learnLayout(f) {
    if (f.type !== "@xstate.actor" || !f.layout) return;
    if (laidOut.size > 5000) laidOut.clear();
    laidOut.set(f.sessionId, f.layout);
  }
  function keep(f) {
    learnLayout(f);
    log.push(f);
    if (log.length > MAX_LOG) {
      // Cut the oldest fifth; the actors alive at the cut open the rest.
      var cut = Math.floor(MAX_LOG / 5), m = emptyModel();
      for (var i = 0; i < cut; i++) apply(m, log[i]);
      var head = []; m.actors.forEach(function (a) { head.push(actorFrameOf(a)); });
      log = head.concat(log.slice(cut));
    }
    if (recording && recording.length < MAX_LOG) recording.push(f);
  }

  // ---- identity ----------------------------------------------------------
  // Actor names are "<role>:<identity>" (client:alice@example.org/res,
  // connection:…, storage:file:/var/lib/bob) or a bare role (router, sm).
  // (XState's own session ids, "x:12", are names of no role.)
  function roleOf(name) { var i = name.indexOf(":"); return i < 0 || /^x:\d+$/.test(name) ? name : name.slice(0, i); }
  function identOfName(name) { var i = name.indexOf(":"); return i < 0 || /^x:\d+$/.test(name) ? "" : name.slice(i + 1); }
  function rootOf(m, id) {
    var seen = 0, a = m.actors.get(id);
    while (a && a.parentId && m.actors.has(a.parentId) && seen++ < 64) a = m.actors.get(a.parentId);
    return a ? a.sessionId : id;
  }
  function nameOf(m, id) {
    if (!id) return "(outside)";
    var a = m.actors.get(id);
    if (a) { names.set(id, a.name); return a.name; }
    return names.get(id) || id;
  }
  function identityOf(m, id) {
    var own = identOfName(nameOf(m, id));
    if (own) return own;
    // An actor with no identity of its own is told apart by its client's.
    var root = rootOf(m, id);
    if (root === id) return "";
    var c = identOfName(nameOf(m, root));
    return c ? "of " + c : "";
  }
  function shortName(m, id) { return roleOf(nameOf(m, id)); }
  function labelOf(m, id) {
    if (!id) return "(outside)";
    var i = identityOf(m, id);
    return shortName(m, id) + (i ? " " + i : "") + " [" + id + "]";
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
        live = emptyModel(); log = [];
        msg.actors.forEach(function (f) { apply(live, f); keep(f); });
        msg.events.forEach(function (f) { apply(live, f); keep(f); });
        dropped = 0;
      } else if (msg.kind === "batch") {
        msg.frames.forEach(function (f) { apply(live, f); keep(f); });
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
  function follow() { return !replay && !paused; }

  // ---- drawing -----------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // Machines too big for a layout: nested boxes, transitions as text.
  function drawFallback(s, active) {
    var path = s.path.join(".");
    var box = el("div", "st fallback " + s.type + (s.path.length === 0 || active.has(path) ? " active" : ""));
    box.dataset.path = path;
    box.appendChild(el("div", "head", s.key));
    if (s.transitions.length) {
      var ul = el("ul", "tr");
      s.transitions.forEach(function (t) { ul.appendChild(el("li", t.kind, t.label + " → " + (t.targets.join(", ") || "(self)"))); });
      box.appendChild(ul);
    }
    if (s.states.length) {
      var kids = el("div", "kids");
      s.states.forEach(function (c) { kids.appendChild(drawFallback(c, active)); });
      box.appendChild(kids);
    }
    return box;
  }
  function drawCharts(m) {
    var root = $("charts"), client = $("filter-client").value; root.textContent = "";
    var now = view === live ? Date.now() : Number((replay && replay.frames[replay.pos - 1] || {}).createdAt || 0);
    m.actors.forEach(function (a) {
      if (!a.graph) return;
      if (client && rootOf(m, a.sessionId) !== client) return;
      var c = el("div", "chart" + (selected === a.sessionId ? " selected" : "") + (full.has(a.sessionId) ? " full" : ""));
      c.onclick = function (e) {
        var svg = e.target.closest && e.target.closest("svg");
        if (svg && !dragged(svg)) { if (full.has(a.sessionId)) { full.delete(a.sessionId); views.delete(a.sessionId); } else full.add(a.sessionId); dirty = true; }
      };
      c.dataset.actor = a.name; c.dataset.session = a.sessionId;
      var h = el("h3", "", roleOf(a.name) + " ");
      var ident = identityOf(m, a.sessionId);
      if (ident) h.appendChild(el("span", "ident", ident + " "));
      h.appendChild(el("span", "val", JSON.stringify(a.value)));
      c.appendChild(h);
      var active = activePaths(a.value, "", new Set());
      var tk = m.taken.get(a.sessionId);
      var fresh = tk && now - Number(tk.at) < 1500 ? tk.edges : null;
      var layout = a.layout || laidOut.get(a.sessionId);
      if (layout) {
        var svg = drawLayout(Object.assign({}, a, { layout: layout }), active, fresh);
        if (full.has(a.sessionId)) zoomable(svg, a.sessionId);
        c.appendChild(svg);
      } else {
        if (a.layoutNote) c.appendChild(el("p", "layout-note", "Drawn as nested boxes: " + a.layoutNote + "."));
        c.appendChild(drawFallback(a.graph.root, active));
      }
      root.appendChild(c);
      if (scrollTo === a.sessionId) { scrollTo = null; c.scrollIntoView({ block: "nearest" }); }
    });
  }
  function drawTree(m) {
    var tree = $("tree"), client = $("filter-client").value; tree.textContent = "";
    var kids = new Map();
    m.actors.forEach(function (a) {
      var p = a.parentId && m.actors.has(a.parentId) ? a.parentId : "";
      if (p === "" && client && a.sessionId !== client) return;
      if (!kids.has(p)) kids.set(p, []);
      kids.get(p).push(a);
    });
    function add(ul, parent) {
      (kids.get(parent) || []).forEach(function (a) {
        var li = el("li", selected === a.sessionId ? "selected" : "");
        li.dataset.name = a.name; li.dataset.session = a.sessionId; li.dataset.role = roleOf(a.name);
        var row = el("div", "row");
        row.appendChild(el("span", "role", roleOf(a.name) + " "));
        var ident = identOfName(a.name);
        if (ident) row.appendChild(el("span", "ident", ident + " "));
        if (a.value !== undefined) row.appendChild(el("span", "val", JSON.stringify(a.value) + " "));
        row.appendChild(el("span", "sid", a.sessionId));
        row.title = labelOf(m, a.sessionId);
        row.onclick = function () { selected = a.sessionId; scrollTo = a.sessionId; dirty = true; };
        li.appendChild(row);
        if (kids.has(a.sessionId)) { var sub = el("ul"); add(sub, a.sessionId); li.appendChild(sub); }
        ul.appendChild(li);
      });
    }
    add(tree, "");
  }
  // The hot swap: every api.bind in the log as a marker, and while a
  // registry is migrating, its old and new storages side by side.
  function drawSwaps(m) {
    var frames = replay ? replay.frames : log, marks = $("marks"), binds = $("binds");
    marks.textContent = ""; binds.textContent = "";
    var n = 0;
    frames.forEach(function (f, i) {
      if (f.type !== "@xstate.event" || !f.event || f.event.type !== "api.bind") return;
      n++;
      var mk = el("div", "mark"); mk.style.left = (100 * (i + 1) / Math.max(1, frames.length)) + "%";
      mk.title = "api.bind at " + clock(f.createdAt); marks.appendChild(mk);
      if (n <= 12) {
        var chip = el("span", "bind", "bind " + clock(f.createdAt));
        chip.dataset.pos = String(i + 1);
        chip.onclick = function () { travel(i + 1); };
        binds.appendChild(chip);
      }
    });
    var box = $("migration"), shown = false;
    box.textContent = "";
    m.actors.forEach(function (a) {
      if (shown || !activePaths(a.value, "", new Set()).has("migrating")) return;
      var stores = [];
      m.actors.forEach(function (s) { if (s.parentId === a.sessionId && roleOf(s.name) === "storage") stores.push(s); });
      if (stores.length < 1) return;
      shown = true;
      box.appendChild(el("strong", "", "hot swap " + (identityOf(m, a.sessionId) || a.name)));
      var old = stores[0], neu = stores[stores.length - 1];
      var s1 = el("span", "store old", identOfName(old.name) || old.name); s1.dataset.session = old.sessionId;
      box.appendChild(s1);
      var p = m.progress && m.progress.registry === a.sessionId ? m.progress.p : null;
      var done = p ? p.copied + p.skipped + p.superseded : 0;
      var bar = el("div", "bar"), fill = el("div");
      fill.style.width = (p && p.total ? Math.min(100, 100 * done / p.total) : 5) + "%";
      bar.appendChild(fill); box.appendChild(bar);
      box.appendChild(el("span", "count", p ? done + (p.total !== undefined ? " / " + p.total : "") : "starting"));
      var s2 = el("span", "store new", identOfName(neu.name) || neu.name); s2.dataset.session = neu.sessionId;
      box.appendChild(s2);
    });
    box.hidden = !shown;
  }
  function draw() {
    if (dirty) {
      dirty = false;
      drawTree(view); drawCharts(view); drawSequence(view); drawSwaps(view);
      $("dropped").textContent = "dropped: " + dropped;
      $("dropped").className = dropped > 0 ? "some" : "";
      $("save").disabled = !(recording && recording.length) && !(lastLog && lastLog.length) && !log.length;
      document.body.dataset.actors = String(view.actors.size);
      document.body.dataset.events = String(view.events.length);
    }
    requestAnimationFrame(draw);
  }

  // ---- time travel ---------------------------------------------------------
  function seek(pos) {
    pos = Math.max(0, Math.min(pos, replay.frames.length));
    // One step on needs one frame more; anything else is rebuilt.
    var m = pos === replay.pos + 1 && view !== live ? view : emptyModel();
    for (var i = m === view ? replay.pos : 0; i < pos; i++) apply(m, replay.frames[i]);
    replay.pos = pos; view = m;
    $("slider").max = String(replay.frames.length); $("slider").value = String(pos);
    $("position").textContent = pos + " / " + replay.frames.length;
    var f = replay.frames[pos - 1];
    $("current").textContent = f ? clock(f.createdAt) + "  " + f.type + " " + (f.event ? f.event.type : f.name || "") : "";
    dirty = true;
  }
  // Freeze on what was received so far (the server keeps the rest for us).
  function pause() {
    paused = true; $("pause").textContent = "Resume";
    if (!replay) {
      replay = { frames: log.slice(), pos: -1, file: false };
      $("replay").hidden = false; $("mode").textContent = "paused";
      seek(log.length);
    }
  }
  function resume() {
    paused = false; $("pause").textContent = "Pause";
    if (replay && !replay.file) toLive();
    if (pendingAck) ack();
  }
  function toLive() {
    replay = null; view = live; $("replay").hidden = true; $("live").hidden = true;
    $("mode").textContent = "live"; $("load").value = ""; dirty = true;
  }
  function travel(pos) {
    if (!replay) pause();
    seek(pos);
  }

  // ---- controls ------------------------------------------------------------
  function start() {
    $("filter-actor").onchange = $("filter-type").oninput = $("filter-client").onchange = function () { dirty = true; };
    document.querySelectorAll("#folds input").forEach(function (i) { i.onchange = function () { dirty = true; }; });
    $("detail-close").onclick = function () { detail = null; detailKey = null; dirty = true; };
    $("pause").onclick = function () { if (paused) resume(); else pause(); };
    $("step").onclick = function () { if (!replay) pause(); seek(replay.pos + 1); };
    $("step-back").onclick = function () { if (!replay) pause(); seek(replay.pos - 1); };
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
      var frames = recording || lastLog || log;
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
          try { var f = JSON.parse(line); if (f && typeof f.type === "string") { learnLayout(f); frames.push(f); } } catch (_) {}
        });
        replay = { frames: frames, pos: -1, file: true };
        $("replay").hidden = false; $("live").hidden = false; $("mode").textContent = "replay";
        seek(frames.length);
      });
    };
    $("slider").oninput = function () { seek(Number($("slider").value)); };
    $("live").onclick = function () { if (paused) resume(); toLive(); };
    connect();
    requestAnimationFrame(draw);
  }
`;
