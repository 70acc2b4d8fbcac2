/**
 * The inspector page's statechart drawing (a part of its script): each
 * machine as an SVG of nested boxes and labelled arrows, from the layout
 * the server computed (`layoutChart()` in `src/diagram/layout.ts`), with
 * the active configuration highlighted, the arrows just taken flashing,
 * each state's internal transitions listed in it, and root-level events in
 * a legend. A machine too big to lay out falls back to nested boxes.
 *
 * Browser-safe (a plain string, joined into `PAGE_JS`). Text goes in with
 * `textContent` only: names and labels come from other processes.
 *
 * @module
 */

/**
 * Chart functions of the page script: `drawLayout(actor, active, taken)`,
 * `zoomable(svg, key)` (fit, wheel zoom and drag pan), `takenEdges`.
 */
export const CHART_JS: string = String.raw`
  var SVG = "http://www.w3.org/2000/svg", CW = 6.4, LH = 14;
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function internalText(t) { return t.to ? t.label + " → " + t.to : t.label; }
  function drawLayout(a, active, taken) {
    var L = a.layout, m = 8;
    var legendW = L.legend.length ? Math.max(14, Math.max.apply(null, L.legend.map(function (t) { return internalText(t).length; }))) * CW + 20 : 0;
    var legendH = L.legend.length ? (L.legend.length + 1) * LH + 14 : 0;
    var w = Math.ceil(Math.max(L.width, legendW) + 2 * m), h = Math.ceil(L.height + legendH + 2 * m);
    var svg = sv("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h, "class": "statechart" });
    var defs = sv("defs", {});
    var mk = sv("marker", { id: "arrow-" + a.sessionId.replace(/[^A-Za-z0-9_-]/g, "_"), viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    mk.appendChild(sv("path", { d: "M0,0 L10,5 L0,10 z", "class": "head" }));
    defs.appendChild(mk); svg.appendChild(defs);
    var g = sv("g", { transform: "translate(" + m + "," + m + ")" });
    svg.appendChild(g);
    L.boxes.forEach(function (b) {
      var path = b.path.join(".");
      var cls = "st " + b.type + (b.compound ? " compound" : " atomic") + (active.has(path) ? " active" : "") + (b.region ? " region" : "");
      var box = sv("g", { "class": cls, "data-path": path, "data-id": b.id });
      box.appendChild(sv("rect", { x: b.x, y: b.y, width: b.width, height: b.height, rx: b.type === "final" ? 3 : 8 }));
      box.appendChild(sv("text", { x: b.x + 10, y: b.y + 15, "class": "title" }, b.title));
      var y = b.y + 15;
      b.internal.forEach(function (t) {
        y += LH;
        var tx = sv("text", { x: b.x + 10, y: y, "class": "internal " + t.kind }, internalText(t));
        tx.dataset.event = t.label.split(" ")[0];
        box.appendChild(tx);
      });
      b.actors.forEach(function (n) { y += LH; box.appendChild(sv("text", { x: b.x + 10, y: y, "class": "actor" }, n)); });
      if (b.initial) {
        box.appendChild(sv("circle", { cx: b.x + 18, cy: b.y - 13, r: 4, "class": "initial" }));
        box.appendChild(sv("line", { x1: b.x + 18, y1: b.y - 9, x2: b.x + 18, y2: b.y, "class": "initial", "marker-end": "url(#" + mk.id + ")" }));
      }
      g.appendChild(box);
    });
    L.edges.forEach(function (e) {
      var fresh = taken && taken.has(e.source + "\n" + e.target);
      var eg = sv("g", { "class": "edge" + (fresh ? " taken" : "") + (e.kinds.every(function (k) { return k === "always"; }) ? " always" : "") });
      eg.dataset.source = e.source; eg.dataset.target = e.target;
      eg.appendChild(sv("path", { d: e.points.map(function (p, i) { return (i ? "L" : "M") + p.x + "," + p.y; }).join(" "), "marker-end": "url(#" + mk.id + ")" }));
      var lw = Math.max.apply(null, e.labels.map(function (l) { return l.length; })) * CW + 6, lh = e.labels.length * LH;
      eg.appendChild(sv("rect", { x: e.labelAt.x - lw / 2, y: e.labelAt.y - lh / 2, width: lw, height: lh, "class": "label-bg" }));
      e.labels.forEach(function (l, i) {
        eg.appendChild(sv("text", { x: e.labelAt.x, y: e.labelAt.y - lh / 2 + (i + 1) * LH - 3, "text-anchor": "middle", "class": "label " + e.kinds[i] }, l));
      });
      g.appendChild(eg);
    });
    if (L.legend.length) {
      var lg = sv("g", { "class": "legend" }), y0 = L.height + 10;
      lg.appendChild(sv("rect", { x: 0, y: y0, width: legendW, height: legendH - 6, rx: 6 }));
      lg.appendChild(sv("text", { x: 10, y: y0 + 15, "class": "title" }, "In any state (root-level events)"));
      L.legend.forEach(function (t, i) { lg.appendChild(sv("text", { x: 10, y: y0 + 15 + (i + 1) * LH }, internalText(t))); });
      g.appendChild(lg);
    }
    return svg;
  }
  // A full-size chart: fitted to its pane (the SVG fills the box, the
  // viewBox is the part shown), the wheel zooms about the pointer, a drag
  // pans. The view of each chart is kept across redraws in views.
  var views = new Map();
  function zoomable(svg, key) {
    var W = Number(svg.getAttribute("width")), H = Number(svg.getAttribute("height"));
    var v = views.get(key) || { x: 0, y: 0, w: W, h: H }, down = null;
    function set() { views.set(key, v); svg.setAttribute("viewBox", v.x + " " + v.y + " " + v.w + " " + v.h); }
    function scale() { var r = svg.getBoundingClientRect(); return { r: r, s: Math.min(r.width / v.w, r.height / v.h) || 1 }; }
    svg.setAttribute("width", "100%"); svg.setAttribute("height", "100%");
    svg.classList.add("zoomable");
    set();
    svg.addEventListener("wheel", function (e) {
      e.preventDefault();
      var q = scale(), r = q.r, s = q.s;
      var px = v.x + (e.clientX - r.left - (r.width - v.w * s) / 2) / s;
      var py = v.y + (e.clientY - r.top - (r.height - v.h * s) / 2) / s;
      var k = e.deltaY < 0 ? 0.8 : 1.25;
      k = Math.min(Math.max(v.w * k, W / 20), W * 4) / v.w;
      v = { x: px - (px - v.x) * k, y: py - (py - v.y) * k, w: v.w * k, h: v.h * k };
      set();
    }, { passive: false });
    svg.addEventListener("pointerdown", function (e) { down = { x: e.clientX, y: e.clientY, v: v, moved: false }; svg.dataset.dragged = ""; });
    svg.addEventListener("pointermove", function (e) {
      if (!down || !e.buttons) return;
      var s = scale().s, dx = e.clientX - down.x, dy = e.clientY - down.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { down.moved = true; svg.dataset.dragged = "1"; }
      v = { x: down.v.x - dx / s, y: down.v.y - dy / s, w: down.v.w, h: down.v.h };
      set();
    });
    svg.addEventListener("pointerup", function () { down = null; });
  }
  function dragged(svg) { return svg.dataset.dragged === "1"; }
  // Which arrows the last state change took: from a state that was active
  // to one that is active now and was not.
  function takenEdges(a, before, after) {
    var out = new Set();
    var L = a.layout || laidOut.get(a.sessionId);
    if (!L || !before) return out;
    var idOf = new Map();
    L.boxes.forEach(function (b) { idOf.set(b.id, b.path.join(".")); });
    L.edges.forEach(function (e) {
      var s = idOf.get(e.source), t = idOf.get(e.target);
      if (before.has(s) && after.has(t) && !before.has(t)) out.add(e.source + "\n" + e.target);
    });
    return out;
  }
`;
