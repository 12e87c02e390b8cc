import { api, el, requireUser, showError, when } from "./api.js";

async function load() {
  const page = await api("/api/v1/auth/api-keys?limit=100");
  document.querySelector("#keys tbody").replaceChildren(...page.items.map((k) => el("tr", { "data-key-id": k.id },
    el("td", {}, k.name), el("td", {}, el("code", {}, `${k.prefix}…`)), el("td", {}, when(k.created_at)), el("td", {}, when(k.last_used_at)),
    el("td", {}, el("button", { type: "button", class: "link", "aria-label": `Revoke ${k.name}`, onclick: async () => {
      await api(`/api/v1/auth/api-keys/${k.id}`, { method: "DELETE" });
      await load();
    } }, "Revoke")))));
}

document.getElementById("create-key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("keys-error", null);
  const name = document.getElementById("key-name");
  try {
    const created = await api("/api/v1/auth/api-keys", { method: "POST", body: { name: name.value.trim() } });
    document.getElementById("new-key").textContent = created.key;
    document.getElementById("new-key-box").hidden = false;
    name.value = "";
    await load();
  } catch (error) {
    showError("keys-error", error);
  }
});

if (await requireUser()) await load();
