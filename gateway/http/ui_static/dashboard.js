// The dashboard's router: `#/page/arguments` picks the page; each page renders into <main>
// and may return a function that stops its polling when another page is shown.
import { el, flash } from "./dom.js";
import { servicesPage, servicePage } from "./jobs.js";
import { filesPage } from "./files.js";
import { runPage } from "./run.js";
import { fdlPage } from "./fdl.js";
import { activityPage } from "./activity.js";

const PAGES = {
  services: servicesPage,
  service: servicePage,
  files: filesPage,
  run: runPage,
  fdl: fdlPage,
  activity: activityPage,
};
let stop = null;

async function show() {
  const [name, ...args] = (location.hash.replace(/^#\/?/, "") || "services").split("/");
  const page = PAGES[name] || servicesPage;
  if (stop) stop();
  stop = null;
  flash("");
  for (const link of document.querySelectorAll("header nav a")) {
    link.classList.toggle("current", link.getAttribute("href") === `#/${name}`);
  }
  const main = document.getElementById("page");
  main.replaceChildren();
  try {
    stop = (await page(main, ...args.map(decodeURIComponent))) || null;
  } catch (error) {
    main.replaceChildren(el("p", { class: "error" }, error.message));
  }
}

window.addEventListener("hashchange", show);
show();
