// The gateway's dashboard: three SVG charts drawn from the side port's JSON.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#2e90fa", "#12b76a", "#f79009", "#7a5af8", "#ee46bc", "#667085"];
const STATE_COLOURS = { closed: "#12b76a", "half-open": "#f79009", open: "#f04438" };
const REFRESH_MS = 10000;
const DAY_MS = 86400000;

function node(tag, attributes, parent) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    element.setAttribute(name, String(value));
  }
  if (parent) parent.appendChild(element);
  return element;
}

function label(parent, x, y, words, anchor) {
  const text = node("text", { x: x, y: y, "text-anchor": anchor || "start" }, parent);
  text.textContent = words;
  return text;
}

function hint(element, words) {
  node("title", {}, element).textContent = words;
}

function canvas(host, height) {
  host.replaceChildren();
  const width = Math.max(320, host.clientWidth || 640);
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" }, host);
  return { svg: svg, width: width, height: height };
}

// Round numbers for an axis: 0 and about four steps up to at least `top`.
function ticks(top) {
  if (!(top > 0)) return [0, 1];
  const rough = top / 4;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough);
  const marks = [];
  for (let value = 0; value < top + step / 2; value += step) marks.push(value);
  if (marks[marks.length - 1] < top) marks.push(marks[marks.length - 1] + step);
  return marks;
}

function yAxis(svg, box, marks, format) {
  const top = marks[marks.length - 1];
  for (const mark of marks) {
    const y = box.bottom - (mark / top) * (box.bottom - box.top);
    node("line", { x1: box.left, x2: box.right, y1: y, y2: y, class: "axis" }, svg);
    label(svg, box.left - 6, y + 4, format(mark), "end");
  }
  return (value) => box.bottom - (value / top) * (box.bottom - box.top);
}

function legend(svg, x, y, entries) {
  let offset = x;
  for (const [name, colour] of entries) {
    node("rect", { x: offset, y: y - 9, width: 10, height: 10, fill: colour }, svg);
    const text = label(svg, offset + 14, y, name);
    offset += 24 + Math.max(40, name.length * 6.5);
    text.setAttribute("data-legend", name);
  }
}

function empty(svg, width, height, words) {
  const text = label(svg, width / 2, height / 2, words, "middle");
  text.setAttribute("class", "empty");
}

function dayList(since, until) {
  const days = [];
  const start = Date.parse(since.slice(0, 10) + "T00:00:00Z");
  const end = Date.parse(until.slice(0, 10) + "T00:00:00Z");
  for (let t = start; t <= end; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

function dollars(micros) {
  return micros / 1e6;
}

function drawCosts(host, costs) {
  const { svg, width, height } = canvas(host, 260);
  const box = { left: 60, right: width - 10, top: 28, bottom: height - 28 };
  const days = dayList(costs.since, costs.until);
  const names = costs.providers.map((p) => p.provider);
  const colour = (provider) => PALETTE[Math.max(0, names.indexOf(provider)) % PALETTE.length];
  const stacks = new Map(days.map((day) => [day, []]));
  for (const row of costs.by_day) {
    if (row.cost_micros > 0 && stacks.has(row.day)) stacks.get(row.day).push(row);
  }
  const totals = days.map((day) => stacks.get(day).reduce((sum, r) => sum + r.cost_micros, 0));
  const marks = ticks(dollars(Math.max(0, ...totals)));
  const y = yAxis(svg, box, marks, (v) => "$" + v.toFixed(v < 1 ? 2 : 0));
  const slot = (box.right - box.left) / days.length;
  days.forEach((day, i) => {
    let base = 0;
    for (const row of stacks.get(day)) {
      const top = base + dollars(row.cost_micros);
      const bar = node("rect", {
        x: box.left + i * slot + slot * 0.15, width: Math.max(1, slot * 0.7),
        y: y(top), height: Math.max(1, y(base) - y(top)), fill: colour(row.provider),
        "data-provider": row.provider,
      }, svg);
      hint(bar, `${row.day} ${row.name}: $${row.cost_usd} (${row.calls} calls)`);
      base = top;
    }
    if (i % Math.ceil(days.length / 8) === 0) label(svg, box.left + (i + 0.5) * slot, height - 10, day.slice(5), "middle");
  });
  legend(svg, box.left, 14, costs.providers.map((p) => [`${p.name} $${p.cost_usd}`, colour(p.provider)]));
  if (!totals.some((t) => t > 0)) empty(svg, width, height, "No upstream spending in this window");
}

function drawTiers(host, cache) {
  const { svg, width, height } = canvas(host, 260);
  const box = { left: 50, right: width - 10, top: 28, bottom: height - 40 };
  const order = ["hot", "warm", "live"];
  const tiers = order.map((name) => cache.tiers.find((t) => t.tier === name) ||
    { tier: name, hits: 0, misses: 0, loads: 0, failures: 0, hit_rate: 0 });
  const series = (tier) => tier.tier === "live"
    ? [["upstream loads", tier.loads, PALETTE[2]], ["failed loads", tier.failures, "#f04438"]]
    : [["hits", tier.hits, PALETTE[1]], ["misses", tier.misses, PALETTE[5]]];
  const peak = Math.max(0, ...tiers.flatMap((t) => series(t).map((s) => s[1])));
  const y = yAxis(svg, box, ticks(peak), (v) => String(v));
  const slot = (box.right - box.left) / tiers.length;
  tiers.forEach((tier, i) => {
    const bars = series(tier);
    const barWidth = (slot * 0.7) / bars.length;
    bars.forEach(([name, count, colour], j) => {
      const bar = node("rect", {
        x: box.left + i * slot + slot * 0.15 + j * barWidth, width: Math.max(1, barWidth - 2),
        y: y(count), height: Math.max(1, box.bottom - y(count)), fill: colour,
        "data-tier": tier.tier,
      }, svg);
      hint(bar, `${tier.tier} ${name}: ${count}`);
    });
    const rate = tier.tier === "live" ? "upstream" : `${Math.round(tier.hit_rate * 100)}% hit rate`;
    label(svg, box.left + (i + 0.5) * slot, height - 24, tier.tier, "middle");
    label(svg, box.left + (i + 0.5) * slot, height - 10, rate, "middle");
  });
  legend(svg, box.left, 14, [["hits", PALETTE[1]], ["misses", PALETTE[5]],
    ["upstream loads", PALETTE[2]], ["failed", "#f04438"]]);
}

function segments(breaker, changes, since, now) {
  const mine = changes.filter((c) => c.name === breaker.name);
  let state = mine.length ? (mine[0].old || breaker.state) : breaker.state;
  let from = since;
  const parts = [];
  for (const change of mine) {
    const at = Date.parse(change.at);
    parts.push([from, at, state]);
    state = change.new;
    from = at;
  }
  parts.push([from, now, state]);
  return parts.filter(([start, end]) => end >= start);
}

function drawBreakers(host, data) {
  const rows = data.breakers;
  const { svg, width, height } = canvas(host, Math.max(120, 44 + rows.length * 30));
  const box = { left: 90, right: width - 10, top: 28 };
  const since = Date.parse(data.since);
  const now = Math.max(Date.parse(data.now), since + 1000);
  const x = (t) => box.left + ((t - since) / (now - since)) * (box.right - box.left);
  rows.forEach((breaker, i) => {
    const top = box.top + i * 30;
    label(svg, box.left - 6, top + 15, breaker.name, "end");
    for (const [start, end, state] of segments(breaker, data.changes, since, now)) {
      const band = node("rect", {
        x: x(start), y: top, width: Math.max(1, x(end) - x(start)), height: 20,
        fill: STATE_COLOURS[state] || PALETTE[5], "data-state": state,
      }, svg);
      hint(band, `${breaker.name}: ${state} from ${new Date(start).toISOString()}`);
    }
  });
  const bottom = box.top + rows.length * 30 + 12;
  label(svg, box.left, bottom, new Date(since).toISOString().slice(11, 19) + "Z");
  label(svg, box.right, bottom, new Date(now).toISOString().slice(11, 19) + "Z", "end");
  legend(svg, box.left, 14, Object.entries(STATE_COLOURS));
  if (!rows.length) empty(svg, width, height, "No breakers");
}

async function fetchJson(path) {
  const answer = await fetch(path, { cache: "no-store" });
  if (!answer.ok) throw new Error(`${path} answered ${answer.status}`);
  return answer.json();
}

function drawn(id, draw, data) {
  const host = document.getElementById(id);
  try {
    draw(host, data);
    host.dataset.drawn = "true";
  } catch (error) {
    host.textContent = "Could not draw: " + error.message;
    host.className = "chart error";
  }
}

async function refresh() {
  const days = document.getElementById("days").value;
  const updated = document.getElementById("updated");
  try {
    const [costs, cache, breakers] = await Promise.all([
      fetchJson(`/api/costs?days=${encodeURIComponent(days)}&by_day=1`),
      fetchJson("/api/cache"),
      fetchJson("/api/breakers"),
    ]);
    drawn("cost-chart", drawCosts, costs);
    drawn("tier-chart", drawTiers, cache);
    drawn("breaker-chart", drawBreakers, breakers);
    document.getElementById("total").textContent = `total $${costs.total_usd}`;
    document.getElementById("report").textContent = costs.text;
    document.getElementById("rounding").textContent = "Rounding: " + costs.rounding;
    updated.textContent = "updated " + new Date().toISOString().slice(11, 19) + " UTC";
    updated.className = "muted";
  } catch (error) {
    updated.textContent = "refresh failed: " + error.message;
    updated.className = "error";
  }
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("days").addEventListener("change", refresh);
  refresh();
  setInterval(refresh, REFRESH_MS);
});
