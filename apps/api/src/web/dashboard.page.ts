/**
 * The analysts' dashboard: demand and supply per interval as a chart, with the published
 * price as a step line on its own axis, for a region and a time range. It reads the REST API
 * with the analyst key the user pastes in (kept in this browser's localStorage only).
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
</style></head>
<body>
<header>
  <h1>Wattline</h1>
  <input id="key" type="password" placeholder="API key" size="28">
  <select id="region"></select>
  <input id="from" type="datetime-local"> <input id="to" type="datetime-local">
  <button id="load">Show</button> <span id="error"></span>
</header>
<main>
  <div class="kpis">
    <div class="card kpi">Demand<b id="k-demand">–</b></div>
    <div class="card kpi">Local supply<b id="k-supply">–</b></div>
    <div class="card kpi">Average price<b id="k-price">–</b></div>
    <div class="card kpi">Late readings<b id="k-late">–</b></div>
  </div>
  <div class="card"><canvas id="energy" height="110"></canvas></div>
  <div class="card"><canvas id="levels" height="60"></canvas></div>
</main>
<script src="/assets/chart.umd.js"></script>
<script>
const $ = (id) => document.getElementById(id);
$('key').value = localStorage.getItem('wattline.key') || new URLSearchParams(location.search).get('key') || '';
const iso = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
$('to').value = iso(new Date()); $('from').value = iso(new Date(Date.now() - 86400000));
let energyChart, levelChart, rangeTouched = false;
$('from').onchange = $('to').onchange = () => { rangeTouched = true; };
// Until the user picks a range, show the two days up to the region's latest price
// (a replay of historical data lives in its own time, not in the last 24 hours).
async function defaultRange(region) {
  if (rangeTouched) return;
  try {
    const current = await api('/v1/regions/' + region + '/tariffs/current');
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
async function all(path) {
  let items = [], cursor = null;
  do { const page = await api(path + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')); items = items.concat(page.items); cursor = page.nextCursor; } while (cursor);
  return items;
}
async function regions() {
  const { items } = await api('/v1/regions?limit=1000');
  $('region').innerHTML = items.map((r) => '<option>' + r.id + '</option>').join('');
  $('region').onchange = () => { rangeTouched = false; load(); };
  const wanted = new URLSearchParams(location.search).get('region');
  if (wanted) $('region').value = wanted;
}
async function load() {
  $('error').textContent = '';
  localStorage.setItem('wattline.key', $('key').value);
  try {
    if (!$('region').options.length) await regions();
    const region = $('region').value;
    await defaultRange(region);
    const range = 'from=' + new Date($('from').value).toISOString() + '&to=' + new Date($('to').value).toISOString() + '&limit=10000';
    const [aggregates, tariffs] = await Promise.all([all('/v1/regions/' + region + '/aggregates?' + range), all('/v1/regions/' + region + '/tariffs?' + range)]);
    const price = new Map(tariffs.map((t) => [t.intervalStart, t]));
    const labels = aggregates.map((a) => new Date(a.intervalStart).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }));
    const kwh = (wh) => wh / 1000;
    energyChart?.destroy(); levelChart?.destroy();
    energyChart = new Chart($('energy'), {
      data: { labels, datasets: [
        { type: 'line', label: 'demand (kWh)', data: aggregates.map((a) => kwh(a.demandWh)), borderColor: '#2563eb', backgroundColor: '#2563eb33', fill: true, pointRadius: 0, yAxisID: 'energy' },
        { type: 'line', label: 'local supply (kWh)', data: aggregates.map((a) => kwh(a.supplyWh)), borderColor: '#16a34a', backgroundColor: '#16a34a33', fill: true, pointRadius: 0, yAxisID: 'energy' },
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
  } catch (error) { $('error').textContent = error.message; }
}
$('load').onclick = load;
if ($('key').value) load();
</script></body></html>`;
}
