// Run: a file to a service's /run/<svc> (with the service's token), the answer shown or saved.
import { api, el, flash, seg } from "./dom.js";

export async function runPage(main, chosen = "") {
  const services = await api("GET", "/system/services");
  const select = el("select", { id: "run-service" },
    services.map((s) => el("option", { value: s.name, selected: s.name === chosen }, s.name)));
  const picker = el("input", { type: "file", id: "run-file" });
  const answer = el("div", { id: "run-answer" });
  let url = null;

  async function run() {
    const service = services.find((s) => s.name === select.value);
    const file = picker.files[0];
    if (!service || !file) { flash("Choose a service and a file."); return; }
    answer.replaceChildren(el("p", { class: "muted" }, `Running ${service.name} on ${file.name}…`));
    const started = performance.now();
    const reply = await fetch(`/run/${seg(service.name)}`, {
      method: "POST",
      body: file,
      headers: {
        Authorization: `Bearer ${service.token}`,
        "X-Filename": file.name,
        "Content-Type": file.type || "application/octet-stream",
      },
    });
    const blob = await reply.blob();
    const took = ((performance.now() - started) / 1000).toFixed(2);
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(blob);
    const kind = reply.headers.get("Content-Type") || "application/octet-stream";
    const parts = [el("p", { class: reply.ok ? "" : "error" }, `HTTP ${reply.status} · ${kind} · ${blob.size} B · ${took} s `,
      el("a", { href: url, download: `answer-${file.name}` }, "download"))];
    if (kind.startsWith("image/")) parts.push(el("img", { src: url, class: "preview", alt: "the answer" }));
    else if (kind.startsWith("text/") || kind.includes("json")) parts.push(el("pre", {}, await blob.text()));
    answer.replaceChildren(...parts);
  }

  main.append(
    el("h2", {}, "Run a service synchronously"),
    el("div", { class: "toolbar" }, select, picker,
      el("button", { id: "run", onclick: () => run().catch((e) => flash(e.message)) }, "Run")),
    answer,
  );
  return () => { if (url) URL.revokeObjectURL(url); };
}
