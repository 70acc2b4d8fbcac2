/**
 * The inspector page: one HTML file, one script and one style sheet, all
 * served by the inspector itself (no CDN, no third-party code). The script
 * draws each machine's statechart from the layout the server computed
 * (`page_chart.ts`), the messages as a sequence diagram (`page_seq.ts`),
 * and keeps one model of the actors that live frames, a reconnect's `init`
 * and a loaded recording all go through; every frame received is kept, so
 * Pause, Step and the time slider travel over the live recording too.
 *
 * Browser-safe (plain strings).
 *
 * @module
 */

import { CHART_JS } from "./page_chart.ts";
import { SEQ_JS } from "./page_seq.ts";
import { MAIN_JS } from "./page_main.ts";

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
  <button id="pause" type="button" title="freeze the view and travel back over what was received">Pause</button>
  <button id="step-back" type="button" title="one frame back">◀</button>
  <button id="step" type="button" title="one frame on">▶</button>
  <button id="record" type="button">Record</button>
  <button id="save" type="button" disabled>Save recording</button>
  <label class="file">Load recording <input id="load" type="file" accept=".jsonl,.json,application/x-ndjson"></label>
  <button id="live" type="button" hidden>Back to live</button>
  <span id="binds" title="each hot swap (api.bind); click to travel there"></span>
</header>
<div id="replay" hidden>
  <div id="track"><input id="slider" type="range" min="0" max="0" value="0"><div id="marks"></div></div>
  <span id="position">0 / 0</span>
  <span id="current"></span>
</div>
<div id="migration" hidden></div>
<main>
  <section id="tree-pane">
    <h2>Actors</h2>
    <select id="filter-client"><option value="">all clients</option></select>
    <ul id="tree"></ul>
  </section>
  <section id="charts-pane"><h2>Machines</h2><div id="charts"></div></section>
  <section id="seq-pane">
    <h2>Messages</h2>
    <div class="filters">
      <select id="filter-actor"><option value="">all actors</option></select>
      <input id="filter-type" placeholder="event type contains…">
    </div>
    <div id="folds">fold:
      <label><input type="checkbox" value="sm" checked> sm.*</label>
      <label><input type="checkbox" value="transport" checked> transport.*</label>
      <label><input type="checkbox" value="storage"> storage.*</label>
      <label><input type="checkbox" value="api"> api.*</label>
    </div>
    <div id="seq-scroll">
      <svg width="0" height="0" style="position:absolute"><defs><marker id="seq-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1e40af"/></marker></defs></svg>
      <table id="seq"><thead><tr><th>time</th><th>event</th><th id="lifelines"></th></tr></thead><tbody></tbody></table>
    </div>
    <div id="detail" hidden><div class="dbar"><strong>Payload</strong> <button id="detail-close" type="button">×</button></div><div id="detail-body"></div></div>
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
header { display: flex; gap: .6em; align-items: center; padding: .4em 1em; background: #1d2230; color: #fff; flex-wrap: wrap; }
header button, header .file { font: inherit; }
.file input { width: 12em; }
.conn.up { color: #7ee08a; } .conn.down { color: #ff8a80; }
#dropped.some { color: #ffd166; font-weight: bold; }
#binds .bind { background: #7c3aed; color: #fff; border-radius: 3px; padding: 0 5px; margin-right: 3px; cursor: pointer; font-size: 11px; }
#replay { padding: .3em 1em; background: #fff3cd; display: flex; gap: 1em; align-items: center; }
#track { flex: 1; position: relative; }
#slider { width: 100%; }
#marks { position: absolute; left: 0; right: 0; top: -4px; height: 6px; pointer-events: none; }
#marks .mark { position: absolute; width: 3px; height: 8px; background: #7c3aed; }
#migration { padding: .4em 1em; background: #ede9fe; display: flex; gap: 1em; align-items: center; }
#migration .store { border: 1px solid #7c3aed; border-radius: 5px; padding: 2px 8px; background: #fff; }
#migration .bar { width: 16em; height: 10px; background: #ddd6fe; border-radius: 5px; overflow: hidden; }
#migration .bar > div { height: 100%; background: #7c3aed; }
main { display: grid; grid-template-columns: 15em 1fr minmax(34em, 42%); gap: .6em; padding: .6em; height: calc(100vh - 3.2em); }
section { background: #fff; border: 1px solid #d8dbe2; border-radius: 6px; padding: .4em .6em; overflow: auto; }
h2 { font-size: 1em; margin: .2em 0 .5em; color: #4a5163; }
#tree, #tree ul { list-style: none; padding-left: 1em; margin: 0; }
#tree { padding-left: 0; margin-top: .4em; }
#tree li > .row { cursor: pointer; padding: 1px 3px; border-radius: 3px; white-space: nowrap; }
#tree li > .row:hover, #tree li.selected > .row { background: #e6f0ff; }
#tree .role { font-weight: 600; }
#tree .ident { color: #6d28d9; }
#tree .val { color: #2b7a3d; font-family: ui-monospace, monospace; font-size: 11px; }
#tree .sid { color: #98a; font-size: 10px; }
.chart { margin-bottom: 1em; border: 1px solid #e2e5eb; border-radius: 6px; padding: .4em; overflow: auto; }
.chart.selected { border-color: #3b82f6; box-shadow: 0 0 0 2px #bfdbfe; }
.chart > h3 { margin: 0 0 .3em; font-size: 1em; }
.chart > h3 .ident { color: #6d28d9; font-weight: normal; }
svg.statechart { font: 11px system-ui, sans-serif; max-width: 100%; height: auto; cursor: zoom-in; }
.chart.full { height: calc(100vh - 7.5em); display: flex; flex-direction: column; overflow: hidden; }
.chart.full svg.statechart { flex: 1 1 0; min-height: 0; max-width: none; width: 100%; cursor: grab; touch-action: none; }
.chart .layout-note { margin: 0 0 .3em; color: #92400e; font-size: 11px; }
svg.statechart .st > rect { fill: #fff; stroke: #94a3b8; }
svg.statechart .st.compound > rect { fill: #f8fafc; }
svg.statechart .st.region > rect { stroke-dasharray: 5 3; }
svg.statechart .st.final > rect { stroke-width: 3; }
svg.statechart .st.active > rect { stroke: #16a34a; stroke-width: 2.5; fill: #ecfdf3; }
svg.statechart .st.compound.active > rect { fill: #f4fdf7; }
svg.statechart .title { font-weight: 600; }
svg.statechart .internal { fill: #475569; } svg.statechart .internal.after, svg.statechart .label.after { fill: #b45309; }
svg.statechart .actor { fill: #7c3aed; }
svg.statechart .initial { fill: #111827; stroke: #111827; }
svg.statechart .edge path { fill: none; stroke: #475569; stroke-width: 1.2; }
svg.statechart .edge.always path { stroke-dasharray: 4 3; }
svg.statechart .head { fill: #475569; }
svg.statechart .label-bg { fill: #fff; opacity: .9; }
svg.statechart .label { fill: #1e3a8a; }
svg.statechart .edge.taken path { stroke: #f59e0b; stroke-width: 3; animation: flash 1.2s ease-out forwards; }
@keyframes flash { from { stroke: #f59e0b; stroke-width: 4; } to { stroke: #475569; stroke-width: 1.2; } }
svg.statechart .legend rect { fill: #fffbeb; stroke: #d97706; }
.st.fallback { border: 1px solid #9aa3b5; border-radius: 8px; padding: 3px 6px; margin: 4px; display: inline-block; vertical-align: top; }
.st.fallback.active { border: 2px solid #16a34a; background: #ecfdf3; }
.kids { display: flex; flex-wrap: wrap; align-items: flex-start; }
.tr { margin: 2px 0; padding-left: .6em; font-size: 11px; list-style: none; }
.filters { display: flex; gap: .4em; margin-bottom: .3em; }
.filters input { flex: 1; }
#folds { font-size: 11px; color: #555; margin-bottom: .3em; }
#seq-scroll { max-height: calc(100vh - 22em); overflow: auto; }
#seq thead th { position: sticky; top: 0; background: #fff; z-index: 1; text-align: left; vertical-align: bottom; font-size: 11px; color: #666; padding: 0 4px; }
#seq th#lifelines { padding: 0; }
#lifelines .life { font-weight: 600; font-size: 11px; } #lifelines .ident { fill: #6d28d9; font-size: 10px; } #lifelines .outside { fill: #999; }
#seq { border-collapse: collapse; font-size: 12px; }
#seq td { padding: 0 4px; vertical-align: middle; white-space: nowrap; }
#seq tr { cursor: pointer; } #seq tr:hover, #seq tr.selected { background: #e6f0ff; }
#seq td.t { color: #888; width: 7em; font-variant-numeric: tabular-nums; }
#seq td.arrow { padding: 0; } #seq td.arrow svg { display: block; }
#seq .lifeline { stroke: #d1d5db; stroke-dasharray: 2 2; }
#seq .msg { stroke: #1e40af; fill: none; } #seq .msg.outside { stroke: #9ca3af; }
#seq td.type { font-family: ui-monospace, monospace; color: #1e40af; width: 12em; max-width: 12em; overflow: hidden; text-overflow: ellipsis; }
#seq tr.folded td.type { color: #6b7280; font-style: italic; }
#detail { border-top: 2px solid #d8dbe2; margin-top: .4em; max-height: 16em; overflow: auto; }
#detail .dbar { display: flex; justify-content: space-between; }
#detail .dhead { color: #555; font-size: 11px; margin-top: .3em; }
#detail pre { margin: 0; font-size: 11px; background: #f8fafc; padding: 3px; white-space: pre-wrap; word-break: break-all; }
`;

/** The page's script (plain ES2020, no imports). */
export const PAGE_JS: string = `"use strict";
(function () {
${MAIN_JS}
${CHART_JS}
${SEQ_JS}
  start();
})();
`;
