// The dashboard page: one self-contained HTML document that polls /api/state every 2 s.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quarry — operations</title>
<style>
 body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2330;background:#f7f8fa}
 h1{font-size:20px;margin:0 0 .2em} h2{font-size:16px;margin:1.4em 0 .4em}
 table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
 th,td{padding:.35em .8em;border-bottom:1px solid #e3e6ea;text-align:right} th:first-child,td:first-child{text-align:left}
 th{background:#eef1f5;font-weight:600} .bad{color:#b3261e;font-weight:600} .muted{color:#6b7280}
 tr.limit td{background:#fff4d6} .marker{color:#8a5300;font-weight:700}
 #bottleneck{margin:.6em 0;padding:.5em .8em;background:#fff;box-shadow:0 1px 2px #0002;display:inline-block}
 pre{background:#fff;padding:1em;box-shadow:0 1px 2px #0002;white-space:pre-wrap}
</style></head><body>
<h1>Quarry — operations</h1><div class="muted" id="at">loading…</div>
<h2>DAGs</h2><table id="dags"></table>
<h2>Operators by node</h2>
<div id="bottleneck">—</div>
<table id="nodes"></table>
<h2>Flow-control gate</h2><table id="gate"></table>
<h2>Why was this item not ingested?</h2>
<form id="trace"><input name="key" size="70" placeholder="item key, e.g. a page or image URL"> <button>trace</button></form>
<pre id="traced" class="muted">—</pre>
<div id="errors" class="bad"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
const ms = (v) => v === undefined ? '–' : v < 1000 ? v.toFixed(0) + ' ms' : (v / 1000).toFixed(2) + ' s';
const pct = (v) => v === undefined ? '–' : (100 * v).toFixed(0) + ' %';
const table = (el, head, rows, cls) => { el.innerHTML = '<tr>' + head.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr>' + rows.map((r, i) => '<tr class="' + ((cls && cls[i]) || '') + '">' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join(''); };
async function refresh() {
  const s = await (await fetch('api/state')).json();
  document.getElementById('at').textContent = 'updated ' + new Date(s.atMs).toLocaleTimeString();
  table(document.getElementById('dags'), ['DAG', 'in flight', 'completed', 'filtered', 'dead-lettered', 'quarantined'],
    s.dags.map((d) => [esc(d.dag), d.counts['in-flight'], d.counts.completed, d.counts.filtered, '<span class="' + (d.counts['dead-lettered'] ? 'bad' : '') + '">' + d.counts['dead-lettered'] + '</span>', d.counts.quarantined]));
  const b = s.bottleneck;
  document.getElementById('bottleneck').innerHTML = b ? '<span class="marker">◀ bottleneck now:</span> ' + esc(b.dag + ' / ' + b.node) + ' — ' + esc(b.why) : '<span class="muted">no bottleneck now: every node keeps up with what arrives</span>';
  const st = ['OK', 'FILTERED', 'RETRY', 'TIMEOUT', 'FAIL', 'DLQ'];
  table(document.getElementById('nodes'), ['node', 'busy', 'in flight', 'capacity', 'waiting', 'calls', 'p50', 'p99', 'timeout rate', ...st, ''],
    s.nodes.map((n) => [esc(n.dag + ' / ' + n.node), pct(n.utilisation), n.inFlight, n.capacity || '–', n.lag + (n.lagGrowthPerSec ? ' (' + (n.lagGrowthPerSec > 0 ? '+' : '') + n.lagGrowthPerSec.toFixed(1) + '/s)' : ''), n.calls, ms(n.p50Ms), ms(n.p99Ms), (100 * n.timeoutRate).toFixed(1) + ' %', ...st.map((k) => n.statuses[k] || 0), n.bottleneck ? '<span class="marker">◀ bottleneck</span>' : '']),
    s.nodes.map((n) => n.bottleneck ? 'limit' : ''));
  const gate = Object.entries(s.gate);
  table(document.getElementById('gate'), ['figure', 'value'], gate.length ? gate.map(([k, v]) => [esc(k), Number(v).toFixed(1)]) : [['<span class="muted">no gate reports to these endpoints</span>', '']]);
  document.getElementById('errors').textContent = s.scrapeErrors.join('; ');
}
document.getElementById('trace').addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = new FormData(e.target).get('key');
  const res = await fetch('api/trace?key=' + encodeURIComponent(key));
  document.getElementById('traced').textContent = await res.text();
});
refresh(); setInterval(refresh, 2000);
</script></body></html>`;
