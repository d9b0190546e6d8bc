// Services and a service's jobs: GET /system/services, /system/jobs/<svc>[/<job>],
// DELETE /system/services/<svc>, POST /system/services/<svc>/replay?dead=true[&job=].
import {
  api, el, flash, query, secs, seg, splitPath, statusBadge, STATUSES, when,
} from "./dom.js";

const POLL_MS = 1500;

async function counts(name) {
  const totals = await Promise.all(
    STATUSES.map((status) => api("GET", query(`/system/jobs/${seg(name)}`, { status, limit: 1 }))
      .then((page) => page.total, () => 0)),
  );
  return Object.fromEntries(STATUSES.map((s, i) => [s, totals[i]]));
}

export async function servicesPage(main) {
  const services = await api("GET", "/system/services");
  const body = el("tbody");
  main.append(
    el("h2", {}, "Services"),
    el("table", { id: "services" },
      el("thead", {}, el("tr", {}, ["name", "state", "replicas", "input", "output", "jobs", ""].map((h) => el("th", {}, h)))),
      body),
  );
  if (!services.length) main.append(el("p", { class: "muted" }, "No services yet: create one on the FDL page."));
  for (const service of services) {
    const jobs = el("td", {}, "…");
    body.append(el("tr", { "data-service": service.name },
      el("td", {}, el("a", { href: `#/service/${seg(service.name)}` }, service.name)),
      el("td", { class: "state" }, state(service)),
      el("td", {}, service.replicas === null ? "?" : `${service.available_replicas ?? 0}/${service.replicas}`),
      el("td", {}, service.input[0].path, service.input[0].suffix.length ? ` (${service.input[0].suffix.join(", ")})` : ""),
      el("td", {}, service.output.length ? service.output[0].path : "—"),
      jobs,
      el("td", {},
        el("button", { onclick: () => copyToken(service) }, "Copy token"), " ",
        el("a", { href: `#/fdl/${seg(service.name)}` }, "Edit"), " ",
        el("button", { class: "danger", onclick: () => remove(service.name, main) }, "Delete")),
    ));
    counts(service.name).then((c) => {
      jobs.replaceChildren(...STATUSES.flatMap((s) => [statusBadge(s), ` ${c[s]} `]));
    });
  }
}

function state(service) {
  if (service.replicas === null) return "unknown";
  if (service.replicas === 0) return "scaled to zero";
  return (service.available_replicas || 0) > 0 ? "ready" : "starting";
}

async function copyToken(service) {
  try {
    await navigator.clipboard.writeText(service.token);
    flash(`The token of ${service.name} is in the clipboard.`);
  } catch {
    flash(`Copy it by hand: ${service.token}`);
  }
}

async function remove(name, main) {
  if (!window.confirm(`Delete service ${name}? Its buckets and objects stay.`)) return;
  try {
    await api("DELETE", `/system/services/${seg(name)}`);
    main.replaceChildren();
    await servicesPage(main);
    flash(`Service ${name} deleted.`);
  } catch (error) {
    flash(error.message);
  }
}

function jobRow(job, open) {
  return el("tr", { "data-job": job.id, "data-status": job.status },
    el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); open(job.id); } }, job.id.slice(0, 12))),
    el("td", { class: "key" }, `${job.bucket}/${job.key}`),
    el("td", {}, statusBadge(job.status)),
    el("td", {}, `${job.attempts}/${job.max_attempts}`),
    el("td", {}, when(job.received_at)),
    el("td", {}, secs(job.duration_seconds)),
    el("td", { class: "error" }, job.error),
  );
}

function objectLinks(bucket, key) {
  const url = query(`/system/files/${seg(bucket)}/object`, { key });
  return [
    el("a", { href: query(`/system/files/${seg(bucket)}/object`, { key, inline: "true" }), target: "_blank", rel: "noopener", class: "view-output" }, `${bucket}/${key}`),
    " ", el("a", { href: url, download: key.split("/").pop() }, "download"),
  ];
}

function jobDetail(service, job, redrive) {
  const output = service.output.length ? splitPath(service.output[0].path).bucket : job.bucket;
  return el("div", { class: "detail", id: "job-detail", "data-job": job.id },
    el("h3", {}, `Job ${job.id}`, " ", statusBadge(job.status)),
    el("p", {}, "Input: ", ...objectLinks(job.bucket, job.key)),
    el("p", {}, `received ${when(job.received_at)} · dispatched ${when(job.dispatched_at)} · started ${when(job.started_at)} · finished ${when(job.finished_at)} · ${secs(job.duration_seconds)}`),
    job.error ? el("p", { class: "error" }, job.error) : null,
    job.status === "dead" ? el("button", { onclick: () => redrive(job.id) }, "Redrive this job") : null,
    el("h4", {}, "Outputs"),
    job.outputs.length ? el("ul", { class: "outputs" }, job.outputs.map((k) => el("li", {}, ...objectLinks(output, k)))) : el("p", { class: "muted" }, "none"),
    el("h4", {}, "Attempts"),
    el("table", {},
      el("thead", {}, el("tr", {}, ["#", "outcome", "dispatched", "finished", "HTTP", "duration", "error"].map((h) => el("th", {}, h)))),
      el("tbody", {}, job.history.map((a) => el("tr", {},
        el("td", {}, a.number), el("td", {}, a.outcome), el("td", {}, when(a.dispatched_at)),
        el("td", {}, when(a.finished_at)), el("td", {}, a.http_status ?? ""),
        el("td", {}, secs(a.duration_seconds)), el("td", { class: "error" }, a.error))))),
    el("h4", {}, "Log tail"),
    el("pre", { class: "log" }, job.log_tail || "(empty)"),
  );
}

export async function servicePage(main, name, status = "") {
  const service = await api("GET", `/system/services/${seg(name)}`);
  let selected = null;
  const filter = el("select", { id: "status-filter", onchange: () => { location.hash = `#/service/${seg(name)}/${filter.value}`; } },
    el("option", { value: "" }, "every status"),
    STATUSES.map((s) => el("option", { value: s, selected: s === status }, s)));
  const body = el("tbody", { id: "jobs" });
  const dead = el("tbody", { id: "dead-letters" });
  const total = el("span", { class: "muted" });
  const detail = el("div");

  async function redrive(jobId) {
    const done = await api("POST", query(`/system/services/${seg(name)}/replay`, { dead: "true", job: jobId }));
    flash(`${done.requeued_dead} dead letter(s) queued again.`);
    refresh();
  }
  async function open(jobId) {
    selected = jobId;
    const job = await api("GET", `/system/jobs/${seg(name)}/${seg(jobId)}`);
    detail.replaceChildren(jobDetail(service, job, redrive));
  }
  async function refresh() {
    const page = await api("GET", query(`/system/jobs/${seg(name)}`, { status, limit: 100 }));
    total.textContent = `${page.total} job(s)`;
    body.replaceChildren(...page.jobs.map((j) => jobRow(j, open)));
    const letters = await api("GET", query(`/system/jobs/${seg(name)}`, { status: "dead", limit: 100 }));
    dead.replaceChildren(...letters.jobs.map((j) => el("tr", { "data-job": j.id },
      el("td", {}, `${j.bucket}/${j.key}`), el("td", { class: "error" }, j.error),
      el("td", {}, el("button", { onclick: () => redrive(j.id) }, "Redrive")))));
    if (selected) await open(selected);
  }

  main.append(
    el("h2", {}, `Service ${service.name}`),
    el("p", { class: "muted" }, `input ${service.input[0].path} → output ${service.output.length ? service.output[0].path : "—"} · ${service.max_attempts} attempts · concurrency ${service.concurrency}`),
    el("div", { class: "toolbar" }, "Show ", filter, total,
      el("a", { href: `#/activity/${seg(name)}` }, "activity")),
    el("table", {},
      el("thead", {}, el("tr", {}, ["job", "object", "status", "attempts", "received", "took", "error"].map((h) => el("th", {}, h)))),
      body),
    detail,
    el("h3", {}, "Dead letters ",
      el("button", { id: "redrive-all", onclick: async () => {
        const done = await api("POST", query(`/system/services/${seg(name)}/replay`, { dead: "true" }));
        flash(`${done.requeued_dead} dead letter(s) queued again, ${done.queued} new job(s).`);
        refresh();
      } }, "Redrive all")),
    el("table", {}, el("thead", {}, el("tr", {}, ["object", "reason", ""].map((h) => el("th", {}, h)))), dead),
  );
  await refresh();
  const timer = setInterval(() => refresh().catch((e) => flash(e.message)), POLL_MS);
  return () => clearInterval(timer);
}
