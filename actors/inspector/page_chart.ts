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

/** Chart functions of the page script: `drawChart(actor, active, taken)`. */
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
  // Which arrows the last state change took: from a state that was active
  // to one that is active now and was not.
  function takenEdges(a, before, after) {
    var out = new Set();
    if (!a.layout || !before) return out;
    var idOf = new Map();
    a.layout.boxes.forEach(function (b) { idOf.set(b.id, b.path.join(".")); });
    a.layout.edges.forEach(function (e) {
      var s = idOf.get(e.source), t = idOf.get(e.target);
      if (before.has(s) && after.has(t) && !before.has(t)) out.add(e.source + "\n" + e.target);
    });
    return out;
  }
`;
