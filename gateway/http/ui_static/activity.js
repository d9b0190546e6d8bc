// Activity: a service's last hour from GET /system/activity/<svc>: jobs received per minute
// (stacked by their status) and the median and longest wait from upload to script start.
import { api, el, flash, seg, STATUSES } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = { queued: "#94a3b8", running: "#2458c6", succeeded: "#16a34a", dead: "#dc2626" };
const W = 720;
const H = 180;
const PAD = 32;
const POLL_MS = 10000;

function svg(tag, attrs = {}, text = "") {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text) node.textContent = text;
  return node;
}

function frame(title, top) {
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "chart", role: "img", "aria-label": title });
  chart.append(
    svg("text", { x: PAD, y: 14, "font-size": 12 }, title),
    svg("line", { x1: PAD, y1: H - PAD, x2: W - 8, y2: H - PAD, stroke: "#999" }),
    svg("text", { x: 2, y: PAD, "font-size": 10 }, String(top)),
    svg("text", { x: 2, y: H - PAD, "font-size": 10 }, "0"),
  );
  return chart;
}

function xOf(index, count) {
  return PAD + ((W - PAD - 8) * index) / count;
}

function jobsChart(minutes) {
  const top = Math.max(1, ...minutes.map((m) => Object.values(m.jobs).reduce((a, b) => a + b, 0)));
  const chart = frame("jobs per minute, by status", top);
  const width = Math.max(1, (W - PAD - 8) / minutes.length - 1);
  minutes.forEach((minute, i) => {
    let y = H - PAD;
    for (const status of STATUSES) {
      const count = minute.jobs[status] || 0;
      if (!count) continue;
      const h = ((H - 2 * PAD) * count) / top;
      y -= h;
      const bar = svg("rect", { x: xOf(i, minutes.length), y, width, height: h, fill: COLOURS[status], "data-status": status });
      bar.append(svg("title", {}, `${new Date(minute.start * 1000).toLocaleTimeString()}: ${count} ${status}`));
      chart.append(bar);
    }
  });
  return chart;
}

function latencyChart(minutes) {
  const top = Math.max(0.1, ...minutes.map((m) => m.latency_max || 0));
  const chart = frame("upload to script start, seconds (blue: median, red: longest)", top.toFixed(2));
  const y = (v) => H - PAD - ((H - 2 * PAD) * v) / top;
  const points = minutes.map((m, i) => (m.latency_median === null ? null : `${xOf(i, minutes.length)},${y(m.latency_median)}`)).filter(Boolean);
  if (points.length) chart.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: "#2458c6", "stroke-width": 2 }));
  minutes.forEach((m, i) => {
    if (m.latency_median !== null) chart.append(svg("rect", { x: xOf(i, minutes.length) - 2.5, y: y(m.latency_median) - 2.5, width: 5, height: 5, fill: "#2458c6" }));
    if (m.latency_max !== null) chart.append(svg("circle", { cx: xOf(i, minutes.length), cy: y(m.latency_max), r: 2.5, fill: "#dc2626" }));
  });
  return chart;
}

export async function activityPage(main, chosen = "") {
  const services = await api("GET", "/system/services");
  const name = chosen || (services[0] && services[0].name) || "";
  const select = el("select", { id: "activity-service", onchange: () => { location.hash = `#/activity/${seg(select.value)}`; } },
    services.map((s) => el("option", { value: s.name, selected: s.name === name }, s.name)));
  const charts = el("div", { id: "charts" });
  const legend = el("p", { class: "legend" }, STATUSES.map((s) => el("span", {}, el("i", { class: "swatch", style: `background:${COLOURS[s]}` }), s)));
  main.append(el("h2", {}, "Activity over the last hour"), el("div", { class: "toolbar" }, select), legend, charts);
  if (!name) { charts.append(el("p", { class: "muted" }, "No services.")); return null; }
  async function refresh() {
    const data = await api("GET", `/system/activity/${seg(name)}?minutes=60`);
    const total = data.minutes.reduce((n, m) => n + Object.values(m.jobs).reduce((a, b) => a + b, 0), 0);
    charts.replaceChildren(jobsChart(data.minutes), latencyChart(data.minutes), el("p", { class: "muted", id: "activity-total" }, `${total} job(s) in the last hour`));
  }
  await refresh();
  const timer = setInterval(() => refresh().catch((e) => flash(e.message)), POLL_MS);
  return () => clearInterval(timer);
}
