/**
 * Beyond Redis: the live status page served at GET / by the HTTP listener. One self-contained
 * document (no external resources: it must work on a closed network), fed by /v1/masters
 * (polled) and /v1/events (Server-Sent Events). A token given to the page as `?token=` is passed
 * on to both, since EventSource cannot send an Authorization header.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sentinel status</title>
<style>
  :root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #conn { font-size: 12px; color: #afb8c1; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  h3 { font-size: 14px; margin: 12px 0 4px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eaeef2; font-variant-numeric: tabular-nums; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; }
  .status-ok { color: var(--ok); font-weight: 600; }
  .status-sdown { color: var(--warn); font-weight: 600; }
  .status-odown { color: var(--bad); font-weight: 600; }
  .flag { display: inline-block; padding: 0 5px; margin-right: 3px; border-radius: 8px; background: #eaeef2; font-size: 12px; }
  .flag.bad { background: #ffebe9; color: var(--bad); }
  .master-now { font-size: 16px; font-weight: 600; }
  #events { max-height: 420px; overflow: auto; font-family: ui-monospace, monospace; font-size: 12px; }
  #events div { padding: 1px 0; border-bottom: 1px dotted #eaeef2; }
  .ev-warning { color: var(--bad); }
  .timeline { display: flex; gap: 4px; flex-wrap: wrap; align-items: center; font-size: 12px; margin: 4px 0; }
  .step { padding: 2px 6px; border-radius: 4px; background: #ddf4ff; }
  .step.missing { background: #eaeef2; color: var(--muted); }
  .step.aborted { background: #ffebe9; color: var(--bad); }
  .muted { color: var(--muted); }
</style>
</head>
<body>
<header><h1>Sentinel status</h1><span id="conn">connecting…</span></header>
<main>
  <div id="masters"><section><p class="muted">Loading…</p></section></div>
  <div>
    <section><h2>Last failovers</h2><div id="failovers"><p class="muted">None yet.</p></div></section>
    <section style="margin-top:16px"><h2>Events</h2><div id="events"></div></section>
  </div>
</main>
<script>
const token = new URLSearchParams(location.search).get('token');
const withToken = (path) => token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const time = (ms) => ms ? new Date(ms).toLocaleTimeString() : '';
const flags = (list) => list.filter(Boolean).map((f) => '<span class="flag' + (/down|disconnected|failover/.test(f) ? ' bad' : '') + '">' + esc(f) + '</span>').join('');
let masters = [];

function renderMasters() {
  const el = document.getElementById('masters');
  if (masters.length === 0) { el.innerHTML = '<section><p class="muted">No master monitored.</p></section>'; return; }
  el.innerHTML = masters.map((m) => \`
    <section class="master" data-master="\${esc(m.name)}" style="margin-bottom:16px">
      <h2>\${esc(m.name)} <span class="status-\${esc(m.status)}">\${esc(m.status)}</span></h2>
      <div>Master now: <span class="master-now" data-role="master-address">\${esc(m.address.ip)}:\${esc(m.address.port)}</span> \${flags(m.flags)}</div>
      <div class="muted">quorum \${esc(m.quorum)} · config epoch \${esc(m.epochs.config)} · \${esc(m.ckquorum.message)}\${m.failover ? ' · failover: ' + esc(m.failover.state) : ''}</div>
      \${(m.proxies || []).map((p) => \`<div class="proxy" data-proxy="\${esc(p.role)}">Proxy :\${esc(p.port)} (\${esc(p.role)}) → <span data-role="proxy-target">\${p.routesTo.length ? esc(p.routesTo.join(', ')) : 'held: ' + esc(p.held)}</span> <span class="muted">\${esc(p.openSessions)} open · \${esc(p.accepted)} accepted · \${esc(p.closedOnSwitch)} cut at a switch · \${esc(p.routeChanges)} route changes</span></div>\`).join('')}
      <h3>Replicas (\${m.replicas.length})</h3>
      <table><tr><th>address</th><th>flags</th><th>link to master</th><th>last ok ping</th><th>priority</th><th>offset</th></tr>
      \${m.replicas.map((r) => \`<tr><td>\${esc(r.ip)}:\${esc(r.port)}</td><td>\${flags(r.flags)}</td><td>\${esc(r.masterLinkStatus)}</td><td>\${esc(r.lastOkPingReplyMs)} ms</td><td>\${esc(r.priority)}</td><td>\${esc(r.offset)}</td></tr>\`).join('')}
      </table>
      <h3>Other sentinels (\${m.sentinels.length})</h3>
      <table><tr><th>address</th><th>run id</th><th>flags</th><th>last ok ping</th><th>last hello</th></tr>
      \${m.sentinels.map((s) => \`<tr><td>\${esc(s.ip)}:\${esc(s.port)}</td><td>\${esc((s.runId || '').slice(0, 8))}</td><td>\${flags(s.flags)}</td><td>\${esc(s.lastOkPingReplyMs)} ms</td><td>\${esc(s.lastHelloMessageMs)} ms</td></tr>\`).join('')}
      </table>
    </section>\`).join('');
  renderFailovers();
}

function renderFailovers() {
  const all = masters.flatMap((m) => m.lastFailovers.map((f) => ({ ...f, master: m.name }))).reverse().slice(0, 10);
  const el = document.getElementById('failovers');
  if (all.length === 0) { el.innerHTML = '<p class="muted">None yet.</p>'; return; }
  const step = (label, at) => '<span class="step' + (at ? '' : ' missing') + '">' + label + (at ? ' ' + time(at) : '') + '</span>';
  el.innerHTML = all.map((f) => \`
    <div class="failover" data-master="\${esc(f.master)}">
      <strong>\${esc(f.master)}</strong> <span class="muted">\${esc(f.from || '')}\${f.to ? ' → ' + esc(f.to) : ''}</span>
      <div class="timeline">\${step('detected', f.detected)} → \${step('elected', f.elected || f.started)} → \${step('promoted', f.promoted)} → \${step('switched', f.switched)}\${f.aborted ? ' <span class="step aborted">aborted: ' + esc(f.aborted.reason) + '</span>' : ''}</div>
    </div>\`).join('');
}

async function refresh() {
  try {
    const res = await fetch(withToken('/v1/masters'));
    if (!res.ok) throw new Error('HTTP ' + res.status);
    masters = await res.json();
    renderMasters();
  } catch (e) {
    document.getElementById('conn').textContent = 'cannot read /v1/masters: ' + e.message;
  }
}

function listen() {
  const source = new EventSource(withToken('/v1/events'));
  source.onopen = () => { document.getElementById('conn').textContent = 'live'; };
  source.onerror = () => { document.getElementById('conn').textContent = 'reconnecting…'; };
  source.addEventListener('sentinel', (msg) => {
    const e = JSON.parse(msg.data);
    const line = document.createElement('div');
    line.className = 'ev-' + e.level;
    line.dataset.type = e.type;
    line.textContent = new Date(e.time).toLocaleTimeString() + ' ' + e.type + ' ' + e.message;
    const box = document.getElementById('events');
    box.prepend(line);
    while (box.childElementCount > 200) box.lastElementChild.remove();
    refresh();
  });
}

refresh();
listen();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
