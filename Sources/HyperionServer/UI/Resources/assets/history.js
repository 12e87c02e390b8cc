import { api, el, requireUser, when } from "./api.js";

const list = document.getElementById("history");
const more = document.getElementById("history-more");
let skip = 0;

async function open(item, id) {
  if (item.querySelector(".answer")) { item.querySelector(".answer").remove(); return; }
  const q = await api(`/api/v1/query/${id}`);
  const cites = q.citations.map((c) => el("li", {}, `[${c.n}] ${c.title}${c.page ? `, page ${c.page}` : ""}: ${c.snippet}`));
  item.append(el("div", { class: "answer" }, el("p", {}, q.answer || q.error || ""), el("ul", { class: "muted" }, ...cites)));
}

async function load() {
  const page = await api(`/api/v1/queries?skip=${skip}&limit=20`);
  for (const q of page.items) {
    const item = el("li", { "data-query-id": q.id });
    item.append(el("button", { type: "button", class: "link", "aria-expanded": "false", onclick: (e) => {
      e.currentTarget.setAttribute("aria-expanded", e.currentTarget.getAttribute("aria-expanded") === "true" ? "false" : "true");
      open(item, q.id);
    } }, q.query), el("span", { class: "muted" }, ` · ${q.status} · ${q.citation_count} citations · ${when(q.created_at)}`));
    list.append(item);
  }
  skip += page.items.length;
  more.hidden = skip >= page.total;
  if (!page.total) list.append(el("li", { class: "muted" }, "Nothing asked yet."));
}

more.addEventListener("click", load);
if (await requireUser()) await load();
