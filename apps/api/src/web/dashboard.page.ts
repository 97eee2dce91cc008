/**
 * The analysts' dashboard, per region and time range: demand and supply per interval with the
 * published price as a step line, the price levels, the forecast against what was measured,
 * tomorrow's announced schedule, the fleet (meters online, late and rejected readings), the
 * households' bills against the shadow bill, and the tariff's effect against the control
 * group. A region offering several tariffs has a tariff picker: prices, levels, the schedule
 * and the effect are the picked tariff's (the region's default first); bills are every
 * household's at its own tariff. It reads the REST API (and /metrics) with the analyst key the user pastes in (kept in
 * this browser's localStorage only).
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Wattline · dashboard</title>
<style>
  body{font-family:system-ui,sans-serif;margin:0;background:#f8fafc;color:#0f172a}
  header{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;padding:.8rem 1.2rem;background:#0f172a;color:#e2e8f0}
  header h1{font-size:1.1rem;margin:0 1rem 0 0}
  input,select,button{font:inherit;padding:.35rem .5rem;border-radius:.4rem;border:1px solid #cbd5e1}
  button{background:#2563eb;color:white;border:none;cursor:pointer}
  main{padding:1rem 1.2rem;display:grid;gap:1rem}
  .card{background:white;border-radius:.8rem;padding:1rem;box-shadow:0 1px 3px #0002}
  .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:1rem}
  .kpi b{display:block;font-size:1.6rem}
  #error{color:#b91c1c}
  .grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(26rem,1fr));gap:1rem}
  .card h2{font-size:1rem;margin:0 0 .5rem}
  .note{color:#475569;font-size:.85rem;margin:.3rem 0 0}
  .alerts{margin:.2rem 0 0;padding-left:1.1rem}.alerts .critical{color:#b91c1c}.alerts .warning{color:#b45309}
</style></head>
<body>
<header>
  <h1>Wattline</h1>
  <input id="key" type="password" placeholder="API key" size="28">
  <select id="region"></select>
  <select id="tariff" title="the tariff whose prices and effect are shown"></select>
  <input id="from" type="datetime-local"> <input id="to" type="datetime-local">
  <input id="control" placeholder="control cohort" size="10" title="the cohort on the flat tariff">
  <button id="load">Show</button> <span id="error"></span>
</header>
<main>
  <div class="kpis">
    <div class="card kpi">Demand<b id="k-demand">–</b></div>
    <div class="card kpi">Local supply<b id="k-supply">–</b></div>
    <div class="card kpi">Average price<b id="k-price">–</b></div>
    <div class="card kpi">Late readings<b id="k-late">–</b></div>
    <div class="card kpi">Meters online<b id="k-online">–</b></div>
    <div class="card kpi">Rejected readings<b id="k-rejected">–</b></div>
    <div class="card kpi">Bills (due)<b id="k-due">–</b></div>
    <div class="card kpi">Shadow bills (flat)<b id="k-shadow">–</b></div>
  </div>
  <div class="card"><h2>Alerts</h2><ul id="alerts" class="alerts"><li class="note">–</li></ul></div>
  <div class="card"><canvas id="energy" height="110"></canvas></div>
  <div class="card"><canvas id="levels" height="60"></canvas></div>
  <div class="grid2">
    <div class="card"><h2>Forecast against actual</h2><canvas id="forecast" height="150"></canvas><p class="note" id="forecast-note"></p></div>
    <div class="card"><h2 id="schedule-title">Schedule ahead</h2><canvas id="schedule" height="150"></canvas><p class="note" id="schedule-note"></p></div>
    <div class="card"><h2>Bills against the shadow bill, by cohort</h2><canvas id="bills" height="150"></canvas><p class="note" id="bills-note"></p></div>
    <div class="card"><h2>Did the tariff work? The effect per price level, with its 95 % interval</h2><canvas id="response" height="150"></canvas><p class="note" id="response-note"></p></div>
  </div>
</main>
<script src="/assets/chart.umd.js"></script>
<script>
const $ = (id) => document.getElementById(id);
$('key').value = localStorage.getItem('wattline.key') || new URLSearchParams(location.search).get('key') || '';
const iso = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
$('to').value = iso(new Date()); $('from').value = iso(new Date(Date.now() - 86400000));
$('control').value = new URLSearchParams(location.search).get('control') || localStorage.getItem('wattline.control') || 'control';
let energyChart, levelChart, rangeTouched = false;
const charts = {};
const chart = (id, config) => { charts[id]?.destroy(); charts[id] = new Chart($(id), { ...config, options: { animation: false, ...config.options } }); };
const when = (t) => new Date(t).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
$('from').onchange = $('to').onchange = () => { rangeTouched = true; };
// A link may carry its range (?from=…&to=…, ISO-8601): shown as given.
const linked = new URLSearchParams(location.search);
if (linked.get('from') && linked.get('to')) { $('from').value = iso(new Date(linked.get('from'))); $('to').value = iso(new Date(linked.get('to'))); rangeTouched = true; }
// Until the user picks a range, show the two days up to the region's latest price
// (a replay of historical data lives in its own time, not in the last 24 hours).
async function defaultRange(region) {
  if (rangeTouched) return;
  try {
    const current = await api('/v1/regions/' + region + '/tariffs/current?' + tariffQuery());
    const end = new Date(current.intervalEnd);
    $('to').value = iso(end); $('from').value = iso(new Date(end.getTime() - 2 * 86400000));
  } catch { /* no price yet: keep the last 24 hours */ }
}
async function api(path) {
  const res = await fetch(path, { headers: { authorization: 'Bearer ' + $('key').value } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.detail || res.statusText);
  return body;
}
async function text(path) {
  const res = await fetch(path);
  return res.ok ? res.text() : '';
}
async function all(path) {
  let items = [], cursor = null;
  do { const page = await api(path + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')); items = items.concat(page.items); cursor = page.nextCursor; } while (cursor);
  return items;
}
async function regions() {
  const { items } = await api('/v1/regions?limit=1000');
  $('region').innerHTML = items.map((r) => '<option>' + r.id + '</option>').join('');
  $('region').onchange = () => { rangeTouched = false; $('tariff').innerHTML = ''; load(); };
  const wanted = new URLSearchParams(location.search).get('region');
  if (wanted) $('region').value = wanted;
}
// The region's tariffs, its default first; a link's ?tariff= picks one.
async function offeredTariffs(region) {
  const r = await api('/v1/regions/' + region);
  const offered = [r.defaultTariff, ...(r.tariffs ?? []).filter((t) => t !== r.defaultTariff)];
  $('tariff').innerHTML = offered.map((t) => '<option value="' + t + '">' + t + (t === r.defaultTariff ? ' (default)' : '') + '</option>').join('');
  const wanted = new URLSearchParams(location.search).get('tariff');
  if (wanted && offered.includes(wanted)) $('tariff').value = wanted;
  $('tariff').onchange = () => load();
}
const tariffQuery = () => 'tariff=' + encodeURIComponent($('tariff').value);
async function load() {
  $('error').textContent = '';
  localStorage.setItem('wattline.key', $('key').value);
  try {
    if (!$('region').options.length) await regions();
    const region = $('region').value;
    if (!$('tariff').options.length) await offeredTariffs(region);
    await defaultRange(region);
    const range = 'from=' + new Date($('from').value).toISOString() + '&to=' + new Date($('to').value).toISOString() + '&limit=10000';
    const [aggregates, tariffs] = await Promise.all([all('/v1/regions/' + region + '/aggregates?' + range), all('/v1/regions/' + region + '/tariffs?' + range + '&' + tariffQuery())]);
    const price = new Map(tariffs.map((t) => [t.intervalStart, t]));
    const labels = aggregates.map((a) => new Date(a.intervalStart).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }));
    const kwh = (wh) => wh / 1000;
    const openDash = (ctx) => (aggregates[ctx.p1DataIndex]?.closed ? undefined : [5, 4]);
    energyChart?.destroy(); levelChart?.destroy();
    energyChart = new Chart($('energy'), {
      data: { labels, datasets: [
        // An interval still open (readings arriving) is drawn dashed: its sum is not final.
        { type: 'line', label: 'demand (kWh)', data: aggregates.map((a) => kwh(a.demandWh)), borderColor: '#2563eb', backgroundColor: '#2563eb33', fill: true, pointRadius: 0, yAxisID: 'energy', segment: { borderDash: openDash } },
        { type: 'line', label: 'local supply (kWh)', data: aggregates.map((a) => kwh(a.supplyWh)), borderColor: '#16a34a', backgroundColor: '#16a34a33', fill: true, pointRadius: 0, yAxisID: 'energy', segment: { borderDash: openDash } },
        { type: 'line', label: 'price (per kWh)', data: aggregates.map((a) => price.get(a.intervalStart) ? Number(price.get(a.intervalStart).price) : null), borderColor: '#dc2626', stepped: true, pointRadius: 0, yAxisID: 'price' },
      ] },
      options: { animation: false, interaction: { mode: 'index', intersect: false }, scales: { energy: { position: 'left', title: { display: true, text: 'kWh per interval' } }, price: { position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'price per kWh' } } } },
    });
    const colours = ['#22c55e', '#84cc16', '#eab308', '#f97316', '#ef4444'];
    levelChart = new Chart($('levels'), {
      type: 'bar',
      data: { labels, datasets: [{ label: 'price level (1–5)', data: aggregates.map((a) => price.get(a.intervalStart)?.level ?? 0), backgroundColor: aggregates.map((a) => colours[(price.get(a.intervalStart)?.level ?? 1) - 1]) }] },
      options: { animation: false, scales: { y: { min: 0, max: 5, ticks: { stepSize: 1 } } } },
    });
    const sum = (f) => aggregates.reduce((s, a) => s + f(a), 0);
    $('k-demand').textContent = kwh(sum((a) => a.demandWh)).toFixed(1) + ' kWh';
    $('k-supply').textContent = kwh(sum((a) => a.supplyWh)).toFixed(1) + ' kWh';
    $('k-price').textContent = tariffs.length ? (tariffs.reduce((s, t) => s + Number(t.price), 0) / tariffs.length).toFixed(2) + ' ' + tariffs[0].currency : '–';
    $('k-late').textContent = String(sum((a) => a.lateReadings));
    await Promise.all([fleet(region), forecast(region, range), schedule(region), bills(region, range), response(region, range)]);
  } catch (error) { $('error').textContent = error.message; }
}
const colours = ['#22c55e', '#84cc16', '#eab308', '#f97316', '#ef4444'];
// The fleet in numbers and the alert conditions that hold now (GET /v1/regions/{id}/alerts, as the alert rules judge them).
async function fleet(region) {
  const now = await api('/v1/regions/' + encodeURIComponent(region) + '/alerts');
  $('k-online').textContent = now.fleet.online + ' / ' + now.fleet.devices;
  const items = now.alerts.map((a) => {
    const li = document.createElement('li');
    li.className = a.severity;
    li.textContent = a.severity + ': ' + (a.tariff ? a.tariff + ': ' : '') + a.summary + ' (' + a.alert + ')';
    return li;
  });
  if (items.length === 0) {
    const li = document.createElement('li');
    li.className = 'note';
    li.textContent = 'No alert condition holds';
    items.push(li);
  }
  $('alerts').replaceChildren(...items);
  // Rejected readings are counted by the broker that refused them (all regions, since it started).
  const metrics = await text('/metrics');
  const rejected = [...metrics.matchAll(/^wattline_readings_rejected_total\\{[^}]*\\} (\\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
  $('k-rejected').textContent = metrics ? String(rejected) : '–';
  $('k-rejected').title = 'refused by this broker since it started, all regions';
}
async function forecast(region, range) {
  const items = await all('/v1/regions/' + region + '/forecast?' + range);
  const kwh = (wh) => (wh === null ? null : wh / 1000);
  chart('forecast', {
    type: 'line',
    data: { labels: items.map((f) => when(f.intervalStart)), datasets: [
      { label: 'forecast demand (kWh)', data: items.map((f) => kwh(f.forecastDemandWh)), borderColor: '#2563eb', borderDash: [6, 4], pointRadius: 0 },
      { label: 'actual demand (kWh)', data: items.map((f) => kwh(f.actualDemandWh)), borderColor: '#1e3a8a', pointRadius: 0 },
      { label: 'forecast supply (kWh)', data: items.map((f) => kwh(f.forecastSupplyWh)), borderColor: '#16a34a', borderDash: [6, 4], pointRadius: 0 },
      { label: 'actual supply (kWh)', data: items.map((f) => kwh(f.actualSupplyWh)), borderColor: '#14532d', pointRadius: 0 },
    ] },
    options: { interaction: { mode: 'index', intersect: false } },
  });
  const closed = items.filter((f) => f.actualDemandWh !== null && f.actualDemandWh > 0);
  const wape = closed.length ? (100 * closed.reduce((s, f) => s + Math.abs(f.actualDemandWh - f.forecastDemandWh), 0)) / closed.reduce((s, f) => s + f.actualDemandWh, 0) : null;
  $('forecast-note').textContent = items.length ? items.length + ' intervals forecast' + (wape === null ? '' : '; demand WAPE ' + wape.toFixed(1) + ' % over ' + closed.length + ' measured') : 'no forecast in this range';
}
async function schedule(region) {
  // What displays have been told is coming: the announced prices from the interval in force on.
  let current;
  try { current = await api('/v1/regions/' + region + '/tariffs/current?' + tariffQuery()); } catch { $('schedule-note').textContent = 'no price in force yet'; return; }
  const from = new Date(current.intervalStart), to = new Date(from.getTime() + 2 * 86400000);
  const items = await all('/v1/regions/' + region + '/tariffs?from=' + from.toISOString() + '&to=' + to.toISOString() + '&limit=1000&' + tariffQuery());
  chart('schedule', {
    type: 'bar',
    data: { labels: items.map((t) => when(t.intervalStart)), datasets: [{ label: 'announced price (' + (items[0]?.currency ?? '') + '/kWh)', data: items.map((t) => Number(t.price)), backgroundColor: items.map((t) => colours[t.level - 1]) }] },
  });
  $('schedule-title').textContent = 'Schedule ahead: ' + items.length + ' intervals announced';
  $('schedule-note').textContent = items.length ? 'from ' + when(items[0].intervalStart) + ' to ' + when(items.at(-1).intervalEnd) + '; bars coloured by level 1–5' : 'nothing announced beyond the interval in force';
}
async function bills(region, range) {
  const items = await all('/v1/regions/' + region + '/bills?' + range.replace(/&limit=\\d+/, '') + '&limit=100');
  const byCohort = new Map();
  for (const b of items) {
    const c = byCohort.get(b.cohort ?? 'none') ?? { due: 0, shadow: 0, n: 0 };
    c.due += Number(b.due); c.shadow += Number(b.shadowTotal ?? 0); c.n += 1;
    byCohort.set(b.cohort ?? 'none', c);
  }
  const cohorts = [...byCohort.keys()];
  chart('bills', {
    type: 'bar',
    data: { labels: cohorts.map((c) => c + ' (' + byCohort.get(c).n + ')'), datasets: [
      { label: 'billed (due)', data: cohorts.map((c) => byCohort.get(c).due), backgroundColor: '#2563eb' },
      { label: 'shadow bill (flat tariff)', data: cohorts.map((c) => byCohort.get(c).shadow), backgroundColor: '#94a3b8' },
    ] },
  });
  const currency = items[0]?.currency ?? '';
  const due = items.reduce((s, b) => s + Number(b.due), 0), shadow = items.reduce((s, b) => s + Number(b.shadowTotal ?? 0), 0);
  $('k-due').textContent = items.length ? due.toFixed(2) + ' ' + currency : '–';
  // No reference tariff (referencePrice) means no shadow bill: said so, not summed as 0.
  const shadowed = items.filter((b) => b.shadowTotal !== null);
  $('k-shadow').textContent = shadowed.length ? shadow.toFixed(2) + ' ' + currency : items.length ? 'no reference tariff' : '–';
  $('bills-note').textContent = items.length + ' households; protection refunds ' + items.reduce((s, b) => s + Number(b.protectionRefund ?? 0), 0).toFixed(2) + ' ' + currency;
}
async function response(region, range) {
  const control = $('control').value || 'control';
  localStorage.setItem('wattline.control', control);
  const r = await api('/v1/regions/' + region + '/response?' + range.replace(/&limit=\\d+/, '') + '&control=' + encodeURIComponent(control) + '&' + tariffQuery());
  // Each level against the baseline, net of the control group (two-way fixed effects): the estimate
  // as a point, its wild cluster bootstrap interval as a floating bar, in % of the treated homes' counterfactual.
  const levels = r.levels.filter((l) => l.effect);
  chart('response', {
    data: { labels: levels.map((l) => 'level ' + l.level + ' vs ' + r.baselineLevel), datasets: [
      { type: 'line', showLine: false, label: 'effect (%)', data: levels.map((l) => l.effect.pct), backgroundColor: '#dc2626', borderColor: '#dc2626', pointRadius: 6, yAxisID: 'pct' },
      { type: 'bar', label: '95 % interval (wild cluster bootstrap)', data: levels.map((l) => [l.effect.ci95Pct[0] ?? -100, l.effect.ci95Pct[1] ?? 100]), backgroundColor: '#2563eb55', borderColor: '#2563eb', borderWidth: 1, yAxisID: 'pct' },
    ] },
    options: { scales: { pct: { position: 'left', title: { display: true, text: '% against the counterfactual' } } } },
  });
  const fmt = (x, d) => (x === null ? '∞' : (x > 0 ? '+' : '') + x.toFixed(d));
  $('response-note').textContent = levels.length
    ? r.households.treatment + ' households on tariff ' + r.tariff + ' against ' + r.households.control + ' in cohort "' + control + '"; baseline level ' + r.baselineLevel + '; ' +
      levels.map((l) => 'level ' + l.level + ': ' + fmt(l.effect.wh, 1) + ' Wh per half hour (' + fmt(l.effect.pct, 1) + ' %, 95 % ' + fmt(l.effect.ci95Pct[0], 1) + ' to ' + fmt(l.effect.ci95Pct[1], 1) + ' %)').join('; ')
    : r.households.control === 0
      ? 'no cohort "' + control + '" with data in this range: give the meters of households on the flat tariff that cohort (POST /v1/meters, "cohort")'
      : r.households.treatment === 0
        ? 'no households on tariff ' + r.tariff + ' outside cohort "' + control + '" with data in this range'
        : 'tariff ' + r.tariff + ' has no price level besides its baseline (' + r.baselineLevel + ') in this range: no effect to estimate';
}
$('load').onclick = load;
if ($('key').value) load();
</script></body></html>`;
}
