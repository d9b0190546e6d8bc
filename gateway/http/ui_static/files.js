// Buckets and folders through the gateway (/system/files...): upload many files with
// progress, download, delete, presigned links; an upload into a service's input shows the
// jobs it started, live.
import {
  api, el, flash, query, seg, splitPath, statusBadge, upload,
} from "./dom.js";

const POLL_MS = 1500;

function objectUrl(bucket, key, extra = {}) {
  return query(`/system/files/${seg(bucket)}/object`, { key, ...extra });
}

function takes(service, bucket, key) {
  const input = splitPath(service.input[0].path);
  const suffixes = service.input[0].suffix;
  return input.bucket === bucket && key.startsWith(input.prefix)
    && (!suffixes.length || suffixes.some((s) => key.endsWith(s)));
}

export async function filesPage(main, bucket = "", prefix = "") {
  if (!bucket) {
    const { buckets } = await api("GET", "/system/files");
    main.append(el("h2", {}, "Buckets"), el("ul", { id: "buckets" },
      buckets.map((b) => el("li", {}, el("a", { href: `#/files/${seg(b)}` }, b)))));
    return null;
  }
  let timers = [];
  const listing = el("tbody", { id: "objects" });
  const progress = el("ul", { id: "uploads" });
  const started = el("tbody", { id: "started-jobs" });
  const presigned = el("p", { id: "presigned" });
  const picker = el("input", { type: "file", multiple: true, id: "upload-files" });

  async function refresh() {
    const page = await api("GET", query(`/system/files/${seg(bucket)}`, { prefix }));
    listing.replaceChildren(...page.entries.map((entry) => entryRow(entry)));
  }
  function entryRow(entry) {
    const name = entry.key.slice(prefix.length);
    if (entry.folder) {
      return el("tr", { "data-key": entry.key }, el("td", {},
        el("a", { href: `#/files/${seg(bucket)}/${seg(entry.key)}` }, name)), el("td"), el("td"));
    }
    return el("tr", { "data-key": entry.key },
      el("td", { class: "key" }, name),
      el("td", {}, `${entry.size} B`),
      el("td", {},
        el("a", { href: objectUrl(bucket, entry.key, { inline: "true" }), target: "_blank", rel: "noopener" }, "view"), " ",
        el("a", { href: objectUrl(bucket, entry.key), download: name.split("/").pop() }, "download"), " ",
        el("button", { onclick: () => presign(entry.key) }, "Presigned link"), " ",
        el("button", { class: "danger", onclick: () => remove(entry.key) }, "Delete")));
  }
  async function presign(key) {
    const link = await api("GET", query(`/system/files/${seg(bucket)}/presign`, { key, expires: 3600 }));
    presigned.replaceChildren(`Link to ${key} (for ${link.expires_in} s): `,
      el("input", { readonly: true, size: 80, value: link.url, class: "presigned-url" }));
  }
  async function remove(key) {
    if (!window.confirm(`Delete ${bucket}/${key}?`)) return;
    await api("DELETE", objectUrl(bucket, key));
    flash(`${bucket}/${key} deleted.`);
    refresh();
  }
  async function watch(keys) {
    const services = (await api("GET", "/system/services"))
      .filter((s) => keys.some((k) => takes(s, bucket, k)));
    const tick = async () => {
      const rows = [];
      for (const service of services) {
        const page = await api("GET", query(`/system/jobs/${seg(service.name)}`, { limit: 200 }));
        for (const job of page.jobs.filter((j) => j.bucket === bucket && keys.includes(j.key))) {
          rows.push(el("tr", { "data-job": job.id, "data-key": job.key, "data-status": job.status },
            el("td", {}, el("a", { href: `#/service/${seg(service.name)}` }, service.name)),
            el("td", { class: "key" }, job.key), el("td", {}, statusBadge(job.status)),
            el("td", { class: "error" }, job.error)));
        }
      }
      started.replaceChildren(...rows);
    };
    await tick();
    timers.push(setInterval(() => tick().catch((e) => flash(e.message)), POLL_MS));
  }
  async function send() {
    const files = [...picker.files];
    const keys = [];
    progress.replaceChildren();
    await Promise.all(files.map(async (file) => {
      const key = prefix + file.name;
      const bar = el("progress", { max: 1, value: 0 });
      const line = el("li", { "data-key": key }, bar, " ", key, " ");
      progress.append(line);
      try {
        await upload(objectUrl(bucket, key), file, (done) => { bar.value = done; });
        bar.value = 1;
        line.append(el("span", { class: "done" }, "uploaded"));
        keys.push(key);
      } catch (error) {
        line.append(el("span", { class: "error" }, error.message));
      }
    }));
    await refresh();
    if (keys.length) await watch(keys);
  }

  const crumbs = [el("a", { href: "#/files" }, "buckets"), " / ", el("a", { href: `#/files/${seg(bucket)}` }, bucket)];
  let path = "";
  for (const part of prefix.split("/").filter(Boolean)) {
    path += `${part}/`;
    crumbs.push(" / ", el("a", { href: `#/files/${seg(bucket)}/${seg(path)}` }, part));
  }
  main.append(
    el("h2", {}, ...crumbs),
    el("div", { class: "toolbar" }, picker, el("button", { id: "upload", onclick: () => send().catch((e) => flash(e.message)) }, "Upload")),
    progress,
    el("table", {}, el("thead", {}, el("tr", {}, ["name", "size", ""].map((h) => el("th", {}, h)))), listing),
    presigned,
    el("h3", {}, "Jobs started by these uploads"),
    el("table", {}, el("thead", {}, el("tr", {}, ["service", "key", "status", "error"].map((h) => el("th", {}, h)))), started),
  );
  await refresh();
  return () => { timers.forEach(clearInterval); timers = []; };
}
