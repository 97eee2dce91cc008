import { mqttTopics } from '@wattline/contracts';
/**
 * The household display: a single page that connects to the broker over MQTT over
 * WebSocket and shows the price in force (with the precision the tariff has), its level, the
 * time left in the interval, the announced schedule as a chart, and — with a household's
 * display credential — that household's day against the shadow bill. Everything it shows
 * comes from retained MQTT topics, so it is right the moment it connects; it says so when it
 * is offline, when the price is a fallback, and when the price has expired: past its `validTo`
 * (in the region's time) with nothing newer, it is shown greyed out as expired, not as in force.
 */
export function displayPage(regionId: string, tariff: string | null, wsUrl: string | null, wsPort: number, clockLeadMs = 0): string {
  // The tariff's own two topics, not `prices/{region}/#` (that would mix in the region's other tariffs).
  const topics = { current: mqttTopics.currentPrice(regionId, tariff), forecast: mqttTopics.forecast(regionId, tariff) };
  const config = JSON.stringify({ regionId, tariff, wsUrl, wsPort, topics, clockLeadMs });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Wattline · ${escapeHtml(regionId)}</title>
<style>
  body{font-family:system-ui,sans-serif;margin:0;background:#0f172a;color:#e2e8f0;display:flex;min-height:100vh;align-items:center;justify-content:center}
  main{width:min(28rem,92vw);padding:1.5rem;border-radius:1rem;background:#1e293b;box-shadow:0 10px 30px #0008}
  h1{font-size:1rem;font-weight:500;margin:0 0 1rem;color:#94a3b8}
  .price{font-size:3.5rem;font-weight:700;margin:.2rem 0}
  .unit{font-size:1.1rem;color:#94a3b8;font-weight:400}
  .levels{display:flex;gap:.3rem;margin:1rem 0}
  .levels span{flex:1;height:.8rem;border-radius:.3rem;background:#334155}
  .l1{background:#22c55e!important}.l2{background:#84cc16!important}.l3{background:#eab308!important}.l4{background:#f97316!important}.l5{background:#ef4444!important}
  .meta{color:#94a3b8;font-size:.9rem;line-height:1.5}
  .forecast{display:flex;gap:1px;margin-top:.4rem;align-items:flex-end;height:4rem}
  .forecast div{flex:1;border-radius:.15rem .15rem 0 0}
  .axis{display:flex;justify-content:space-between;color:#64748b;font-size:.7rem}
  h2{font-size:.85rem;font-weight:500;color:#94a3b8;margin:1.2rem 0 .2rem}
  #household{display:none;margin-top:.4rem;font-size:.95rem;line-height:1.6}
  #household b{color:#f8fafc}
  .fallback{color:#fbbf24!important}
  @media (max-width:420px){.price{font-size:2.6rem}}
  #status{font-size:.8rem;margin-top:1rem;color:#64748b}
  main.offline .price,main.expired .price{opacity:.45}
  main.offline #status{color:#fbbf24;font-size:.95rem;font-weight:600}
</style></head>
<body><main>
  <h1>Electricity price · region <strong>${escapeHtml(regionId)}</strong>${tariff ? ` · tariff <strong id="tariff">${escapeHtml(tariff)}</strong>` : ''}</h1>
  <div class="price"><span id="price">–</span> <span class="unit" id="unit"></span></div>
  <div class="levels" id="levels">${[1, 2, 3, 4, 5].map(() => '<span></span>').join('')}</div>
  <div class="meta" id="level">Waiting for the first price…</div>
  <div class="meta" id="interval"></div>
  <div class="meta" id="left"></div>
  <h2 id="schedule-title">Schedule: not announced yet</h2>
  <div class="forecast" id="forecast" title="schedule"></div>
  <div class="axis" id="axis"></div>
  <section id="household"><h2>Your household today</h2><div id="household-body"></div></section>
  <div id="status">connecting…</div>
</main>
<script src="/assets/mqtt.min.js"></script>
<script>
const cfg = ${config};
const q = new URLSearchParams(location.search);
const url = cfg.wsUrl || (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.hostname + ':' + cfg.wsPort + '/mqtt';
const opts = { clientId: 'display-' + Math.random().toString(16).slice(2), reconnectPeriod: 3000 };
// A credential's sessions are its own: the client id must be its username or start with "username-" (anonymous ones get an anonymous/ id).
if (q.get('username')) { opts.username = q.get('username'); opts.password = q.get('password') || ''; opts.clientId = opts.username + '-' + Math.random().toString(16).slice(2); }
const client = mqtt.connect(url, opts);
const $ = (id) => document.getElementById(id);
const colours = ['#22c55e', '#84cc16', '#eab308', '#f97316', '#ef4444'];
const names = ['low', 'normal', 'raised', 'high', 'critical peak'];
let current = null;
// The region's time: this clock plus the region's lead (negative in a replay of old data), as the
// platform measured it when the page was served and as each live price shows it (a price in force
// is announced once its interval has begun, so validFrom − arrival never overstates the lead).
let lead = cfg.clockLeadMs;
const regionNow = () => Date.now() + lead;
// A new price is announced within seconds of validTo: only past this margin is the old one expired.
const EXPIRY_GRACE_MS = 30000;
// With a household's display credential (?username=&password=&meter=), its own summary too.
const meter = q.get('meter');
client.on('connect', () => {
  document.querySelector('main').classList.remove('offline');
  $('status').textContent = 'live · ' + url;
  client.subscribe([cfg.topics.current, cfg.topics.forecast], { qos: 1 });
  if (meter) client.subscribe('households/' + meter + '/summary', { qos: 1 });
});
client.on('close', () => {
  // Said where it is seen: the price greyed out, the warning in the display's warning colour.
  document.querySelector('main').classList.add('offline');
  $('status').textContent = 'offline: reconnecting… (the price shown may be out of date)';
});
client.on('message', (topic, payload, packet) => {
  const body = JSON.parse(payload.toString());
  if (topic === cfg.topics.current) {
    current = body;
    // A retained price may be old (RETAIN 1 [MQTT-3.3.1-8]): only a live one dates the region's clock.
    if (!packet.retain) lead = Math.max(lead, Date.parse(body.validFrom) - Date.now());
    render();
  }
  if (topic === cfg.topics.forecast) renderForecast(body.intervals || []);
  if (topic.endsWith('/summary')) renderHousehold(body);
});
// Sums of money to the penny; an amount under a tenth of the unit keeps up to four decimals (a half hour's 0.0032, not 0.00).
const amount = (v) => {
  if (v === null || v === undefined) return '–';
  const n = Number(v);
  return n !== 0 && Math.abs(n) < 0.1 ? String(Number(n.toFixed(4))) : n.toFixed(2);
};
function render() {
  if (!current) return;
  // The precision the tariff has: 0.0399 stays 0.0399, 15.0000 reads 15.00.
  $('price').dataset.validFrom = current.validFrom || '';
  $('price').textContent = current.price.replace(/(\\.\\d\\d\\d*?)0+$/, '$1');
  $('unit').textContent = current.currency + '/' + current.unit;
  $('price').style.color = colours[current.level - 1]; // the price itself in its level's colour
  [...$('levels').children].forEach((el, i) => { el.className = i < current.level ? 'l' + current.level : ''; });
  const start = new Date(current.validFrom || current.intervalStart), end = new Date(current.validTo || current.intervalEnd);
  const expired = regionNow() >= end.getTime() + EXPIRY_GRACE_MS;
  document.querySelector('main').classList.toggle('expired', expired);
  $('price').dataset.state = expired ? 'expired' : 'in-force';
  $('level').className = current.basis === 'fallback' || expired ? 'meta fallback' : 'meta';
  $('level').textContent = expired
    ? 'Expired: this price was valid until ' + end.toLocaleString() + ' and no newer price has arrived'
    : current.basis === 'fallback'
      ? 'Fallback rate: no price was announced for now'
      : 'Level ' + current.level + ' of 5 · ' + names[current.level - 1] + ' · announced ' + (current.basis === 'day-ahead' ? 'the day before' : 'before this interval');
  $('interval').textContent = 'Interval ' + start.toLocaleString() + ' – ' + end.toLocaleTimeString();
  const left = end.getTime() - regionNow();
  // Event time may run ahead of or behind this clock (a replay): the interval's own length is what is shown then.
  $('left').textContent = expired
    ? 'expired ' + Math.floor(-left / 60000) + ' min ago'
    : left > 0 && left <= end - start ? Math.floor(left / 60000) + ' min ' + Math.floor((left % 60000) / 1000) + ' s left in this interval' : 'valid ' + start.toLocaleTimeString() + ' – ' + end.toLocaleTimeString() + ' (region time)';
}
function renderForecast(intervals) {
  if (!intervals.length) return;
  const first = new Date(intervals[0].validFrom), last = new Date(intervals[intervals.length - 1].validTo);
  $('schedule-title').textContent = 'Schedule announced · ' + first.toLocaleDateString() + ' ' + first.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) + ' – ' + last.toLocaleDateString() + ' ' + last.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  $('forecast').innerHTML = intervals.map((p) => '<div data-level="' + p.level + '" style="height:' + (p.level * 20) + '%;background:' + colours[p.level - 1] + '" title="' + new Date(p.validFrom).toLocaleString() + ': ' + p.price + ' ' + p.currency + '/kWh, level ' + p.level + '"></div>').join('');
  $('axis').innerHTML = '<span>' + first.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) + '</span><span>' + last.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) + '</span>';
}
function renderHousehold(s) {
  $('household').style.display = 'block';
  const kwh = (wh) => (wh / 1000).toFixed(2) + ' kWh';
  const vs = s.today.shadowCost === null ? '' : ' (flat tariff: ' + amount(s.today.shadowCost) + ')';
  $('household-body').innerHTML =
    'Used <b id="hh-today">' + kwh(s.today.consumptionWh) + '</b> for <b id="hh-cost">' + amount(s.today.cost) + ' ' + s.currency + '</b>' + vs +
    (s.lastInterval ? '<br>Last ' + Math.round((Date.parse(s.lastInterval.intervalEnd) - Date.parse(s.lastInterval.intervalStart)) / 60000) + ' min: ' + kwh(s.lastInterval.consumptionWh) + ' for ' + amount(s.lastInterval.cost) + ' ' + s.currency : '') +
    (s.protection ? '<br>Protection used this year: ' + amount(s.protection.used) + ' of ' + amount(s.protection.capPerYear) + ' ' + s.currency : '');
}
setInterval(render, 1000);
</script></body></html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
