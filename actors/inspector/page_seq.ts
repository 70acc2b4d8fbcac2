/**
 * The inspector page's sequence view (a part of its script): one lifeline
 * per actor, one arrow per message in time order, runs of chosen event
 * families (`sm.*`, `transport.*`) folded into one row, and a detail pane
 * with the full (redacted) payload of the row clicked.
 *
 * Browser-safe (a plain string, joined into `PAGE_JS`). Text goes in with
 * `textContent` only.
 *
 * @module
 */

/** Sequence functions of the page script: `drawSequence(model)`. */
export const SEQ_JS: string = String.raw`
  var COL = 62, MAX_COLS = 12;
  function clock(ms) {
    var d = new Date(Number(ms)), p = function (n, w) { return String(n).padStart(w || 2, "0"); };
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + "." + p(d.getMilliseconds(), 3);
  }
  function family(t) { var i = t.indexOf("."); return i < 0 ? t : t.slice(0, i); }
  function folded() {
    var out = new Set();
    document.querySelectorAll("#folds input:checked").forEach(function (i) { out.add(i.value); });
    return out;
  }
  function visibleEvents(m) {
    var client = $("filter-client").value, actor = $("filter-actor").value, type = $("filter-type").value.trim();
    var out = [];
    for (var i = m.events.length - 1; i >= 0 && out.length < MAX_ROWS; i--) {
      var f = m.events[i], t = f.event && f.event.type || "";
      if (actor && f.sourceId !== actor && f.sessionId !== actor) continue;
      if (client && rootOf(m, f.sessionId) !== client && rootOf(m, f.sourceId) !== client) continue;
      if (type && t.indexOf(type) < 0) continue;
      out.push(f);
    }
    return out.reverse();
  }
  function rowsOf(events) {
    var fold = folded(), rows = [];
    events.forEach(function (f) {
      var t = f.event && f.event.type || "", fam = family(t), last = rows[rows.length - 1];
      if (fold.has(fam) && last && last.family === fam) { last.frames.push(f); return; }
      rows.push({ family: fold.has(fam) ? fam : null, frames: [f] });
    });
    return rows;
  }
  function drawSequence(m) {
    m.actors.forEach(function (a) { names.set(a.sessionId, a.name); });
    fillFilters(m);
    var rows = rowsOf(visibleEvents(m));
    // Lifelines: the actors of the rows shown, in order of appearance.
    var cols = [], colOf = new Map();
    var col = function (id) {
      var k = id || "";
      if (!colOf.has(k)) {
        if (cols.length >= MAX_COLS) return colOf.get("…") !== undefined ? colOf.get("…") : (cols.push("…"), colOf.set("…", cols.length - 1), cols.length - 1);
        cols.push(k); colOf.set(k, cols.length - 1);
      }
      return colOf.get(k);
    };
    // Busiest first, so the actors of the rows shown are in view.
    var busy = new Map();
    rows.forEach(function (r) { r.frames.forEach(function (f) {
      [f.sourceId || "", f.sessionId].forEach(function (k) { busy.set(k, (busy.get(k) || 0) + 1); });
    }); });
    Array.from(busy.keys()).sort(function (a, b) { return busy.get(b) - busy.get(a); }).forEach(function (k) { col(k); });
    var width = Math.max(1, cols.length) * COL;
    var head = $("lifelines"); head.textContent = "";
    var hs = sv("svg", { width: width, height: 30 });
    cols.forEach(function (id, i) {
      var label = id === "…" ? "…" : id ? shortName(m, id) : "(outside)";
      var tx = sv("text", { x: i * COL + COL / 2, y: 12, "text-anchor": "middle", "class": "life" + (id ? "" : " outside") }, label.length > 11 ? label.slice(0, 10) + "…" : label);
      var full = id ? labelOf(m, id) : "(outside: a sender XState does not name)";
      tx.appendChild(sv("title", {}, full));
      hs.appendChild(tx);
      var sub = id && id !== "…" ? identityOf(m, id) : "";
      if (sub) hs.appendChild(sv("text", { x: i * COL + COL / 2, y: 25, "text-anchor": "middle", "class": "ident" }, sub.length > 12 ? sub.slice(0, 11) + "…" : sub));
    });
    head.appendChild(hs);
    var body = $("seq").tBodies[0]; body.textContent = "";
    rows.forEach(function (r, n) {
      var f = r.frames[r.frames.length - 1], t = f.event && f.event.type || "";
      var from = nameOf(m, f.sourceId), to = nameOf(m, f.sessionId);
      var tr = el("tr", r.family ? "folded" : "");
      tr.dataset.type = r.family ? r.family + ".*" : t; tr.dataset.from = from; tr.dataset.to = to;
      tr.dataset.seq = String(f.seq);
      if (r.family) tr.dataset.count = String(r.frames.length);
      tr.appendChild(el("td", "t", clock(r.frames[0].createdAt)));
      var cell = el("td", "arrow"), s = sv("svg", { width: width, height: 18 });
      cols.forEach(function (_, i) { s.appendChild(sv("line", { x1: i * COL + COL / 2, y1: 0, x2: i * COL + COL / 2, y2: 18, "class": "lifeline" })); });
      var a = col(f.sourceId), b = col(f.sessionId), xa = a * COL + COL / 2, xb = b * COL + COL / 2;
      if (a === b) s.appendChild(sv("path", { d: "M" + xa + ",4 h14 v9 h-12", "class": "msg", "marker-end": "url(#seq-arrow)" }));
      else s.appendChild(sv("line", { x1: xa, y1: 9, x2: xb + (xb > xa ? -3 : 3), y2: 9, "class": "msg" + (f.sourceId ? "" : " outside"), "marker-end": "url(#seq-arrow)" }));
      var ty = el("td", "type", r.family ? r.family + ".* ×" + r.frames.length : t);
      ty.title = from + " → " + to;
      tr.appendChild(ty);
      cell.appendChild(s); tr.appendChild(cell);
      tr.onclick = function () { detail = r.frames; detailKey = f.seq; dirty = true; };
      if (detailKey === f.seq) tr.className += " selected";
      body.appendChild(tr);
    });
    drawDetail(m);
    if (follow()) { var pane = $("seq-scroll"); pane.scrollTop = pane.scrollHeight; }
  }
  function drawDetail(m) {
    var pane = $("detail");
    pane.hidden = !detail;
    if (!detail) return;
    var out = $("detail-body"); out.textContent = "";
    detail.slice(-50).forEach(function (f) {
      var h = el("div", "dhead", clock(f.createdAt) + "  " + labelOf(m, f.sourceId) + " → " + labelOf(m, f.sessionId));
      out.appendChild(h);
      out.appendChild(el("pre", "payload", JSON.stringify(f.event, null, 2)));
    });
  }
  function fillFilters(m) {
    var pairs = [], clients = [];
    m.actors.forEach(function (a) {
      pairs.push([a.sessionId, labelOf(m, a.sessionId)]);
      if (!a.parentId || !m.actors.has(a.parentId)) clients.push([a.sessionId, labelOf(m, a.sessionId)]);
    });
    fillSelect($("filter-actor"), "all actors", pairs);
    fillSelect($("filter-client"), "all clients", clients);
  }
  function fillSelect(sel, all, pairs) {
    var key = pairs.map(function (p) { return p[0] + "=" + p[1]; }).join("|");
    if (sel.dataset.key === key) return;
    var keep = sel.value;
    sel.textContent = ""; sel.appendChild(new Option(all, ""));
    pairs.forEach(function (p) { sel.appendChild(new Option(p[1], p[0])); });
    sel.value = keep; sel.dataset.key = key;
  }
`;
