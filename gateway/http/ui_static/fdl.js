// A service from its OSCAR FDL (YAML) in a text area: check (?dry_run=true), create (POST) or
// update (PUT /system/services/<svc>); each problem of a 422 is shown beside its line.
import { api, el, flash, query, seg } from "./dom.js";

const LINE_PX = 20;
const EXAMPLE = `name: hello
image: oscar-examples/grayify:latest
memory: 256Mi
cpu: "0.5"
script: |
  #!/bin/sh
  cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"
input:
  - storage_provider: minio.default
    path: hello/in
output:
  - storage_provider: minio.default
    path: hello/out
`;

// `input[0].path` -> ["input", 0, "path"]
function segments(path) {
  const found = [];
  for (const [, name, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    found.push(index !== undefined ? Number(index) : name);
  }
  return found;
}

// Each line's indent, its key (if it has one) and where that key starts (after "- " marks).
function shape(lines) {
  return lines.map((text) => {
    const m = text.match(/^(\s*)((?:-\s+)*)(?:(["']?)([^"'#:\s][^"':#]*?)\3\s*:(?:\s|$))?/);
    const blank = /^\s*(#.*)?$/.test(text);
    return {
      blank,
      indent: m[1].length,
      dash: m[2].length > 0,
      key: m[4] ?? null,
      keyAt: m[1].length + m[2].length,
    };
  });
}

// The 0-based line a problem's path points at in `text` (the closest line found).
export function lineOf(text, path) {
  const lines = shape(text.split("\n"));
  let start = 0;
  let end = lines.length;
  let found = 0;
  let parent = -1;
  for (const part of segments(path)) {
    let hit = -1;
    if (typeof part === "number") {
      const items = [];
      for (let i = start; i < end; i += 1) if (!lines[i].blank && lines[i].dash && lines[i].indent > parent - 0) items.push(i);
      const level = Math.min(...items.map((i) => lines[i].indent));
      const same = items.filter((i) => lines[i].indent === level);
      hit = same[part] ?? -1;
      if (hit < 0) break;
      const next = same[part + 1] ?? end;
      found = hit; start = hit; end = next; parent = level;
      continue;
    }
    for (let i = start; i < end; i += 1) {
      const line = lines[i];
      if (!line.blank && line.key === String(part) && line.keyAt > parent) { hit = i; break; }
    }
    if (hit < 0) break;
    found = hit;
    parent = lines[hit].keyAt;
    start = hit + 1;
    let stop = start;
    while (stop < end && (lines[stop].blank || lines[stop].indent > parent
      || (lines[stop].indent === parent && lines[stop].dash && !lines[hit].dash))) stop += 1;
    end = stop;
  }
  return found;
}

export async function fdlPage(main, name = "") {
  let text = EXAMPLE;
  if (name) {
    const service = await api("GET", `/system/services/${seg(name)}`);
    const image = "image: oscar-examples/grayify:latest   # the image to run: set it\n";
    text = `name: ${service.name}\n${image}script: |\n  #!/bin/sh\n  # the script: FDL services keep it as a secret, which cannot be read back\ninput:\n  - storage_provider: minio.default\n    path: ${service.input[0].path}\n`
      + (service.output.length ? `output:\n  - storage_provider: minio.default\n    path: ${service.output[0].path}\n` : "")
      + `max_attempts: ${service.max_attempts}\nconcurrency: ${service.concurrency}\ntimeout: ${service.timeout}\n`;
  }
  const area = el("textarea", { id: "fdl-text", spellcheck: "false", wrap: "off", rows: 24 });
  area.value = text;
  const gutter = el("div", { class: "gutter" });
  const notes = el("div", { class: "notes", id: "fdl-notes" });
  const outcome = el("div", { id: "fdl-outcome" });

  function numbers(bad = new Set()) {
    const count = area.value.split("\n").length;
    gutter.replaceChildren(...Array.from({ length: count }, (_, i) => el("div", { class: bad.has(i) ? "bad" : "", "data-line": i + 1 }, i + 1)));
    gutter.scrollTop = area.scrollTop;
  }
  function show(problems) {
    const bad = new Set();
    notes.replaceChildren(...problems.map((p) => {
      const line = lineOf(area.value, p.path);
      bad.add(line);
      return el("div", { class: "note", "data-line": line + 1, "data-path": p.path, title: `${p.path}: ${p.message}`, style: `top:${4 + line * LINE_PX - area.scrollTop}px` }, `${p.path}: ${p.message}`);
    }));
    numbers(bad);
  }
  async function submit(method, dryRun) {
    const url = method === "PUT" ? `/system/services/${seg(name)}` : "/system/services";
    try {
      const answer = await api(method, query(url, { dry_run: dryRun ? "true" : "" }), { body: area.value, type: "application/yaml" });
      show([]);
      outcome.replaceChildren(dryRun
        ? el("div", {}, el("p", {}, "Valid. The plan:"), el("pre", {}, answer.plan.map((s) => s.command).join("\n")))
        : el("p", {}, `Service ${answer.name} ${method === "PUT" ? "updated" : "created"}. `, el("a", { href: `#/service/${seg(answer.name)}` }, "its jobs")));
    } catch (error) {
      show(error.body.problems || []);
      outcome.replaceChildren(el("p", { class: "error", id: "fdl-error" }, error.message));
    }
  }
  area.addEventListener("input", () => numbers());
  area.addEventListener("scroll", () => {
    gutter.scrollTop = area.scrollTop;
    for (const note of notes.children) note.style.top = `${4 + (Number(note.dataset.line) - 1) * LINE_PX - area.scrollTop}px`;
  });

  main.append(
    el("h2", {}, name ? `Edit service ${name}` : "Create a service from FDL"),
    el("div", { class: "editor" }, gutter, area, notes),
    el("div", { class: "toolbar" },
      el("button", { id: "fdl-check", onclick: () => submit(name ? "PUT" : "POST", true) }, "Check"),
      el("button", { id: "fdl-save", onclick: () => submit(name ? "PUT" : "POST", false) }, name ? "Update" : "Create")),
    outcome,
  );
  numbers();
  flash("");
  return null;
}
