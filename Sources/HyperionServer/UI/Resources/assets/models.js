import { api, el, requireUser, showError } from "./api.js";

async function load() {
  const list = document.getElementById("models");
  const page = await api("/api/v1/models?limit=100");
  list.replaceChildren(...page.items.map((m) => el("li", {},
    el("a", { href: `/ui/models/${m.id}`, "data-model-id": m.id }, m.name),
    el("span", { class: "muted" }, ` · ${m.visibility} · ${m.status.replace("_", " ")}`))));
  if (!page.items.length) list.append(el("li", { class: "muted" }, "No knowledge base yet: create one above."));
}

document.getElementById("create-model-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("models-error", null);
  const input = document.getElementById("model-name");
  try {
    const model = await api("/api/v1/models", { method: "POST", body: { name: input.value.trim() } });
    location.href = `/ui/models/${model.id}`;
  } catch (error) {
    showError("models-error", error);
  }
});

if (await requireUser()) await load();
