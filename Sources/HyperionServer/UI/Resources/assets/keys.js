import { api, el, requireUser, showError, when } from "./api.js";

let shownKey = null;

async function load() {
  const page = await api("/api/v1/auth/api-keys?limit=100");
  document.querySelector("#keys tbody").replaceChildren(...page.items.map((k) => el("tr", { "data-key-id": k.id },
    el("td", {}, k.name), el("td", {}, el("code", {}, `${k.prefix}…`)), el("td", {}, when(k.created_at)), el("td", {}, when(k.last_used_at)),
    el("td", {}, el("button", { type: "button", class: "link", "aria-label": `Revoke ${k.name}`, onclick: async () => {
      if (!confirm(`Revoke the key “${k.name}”? Scripts using it stop working at once.`)) return;
      showError("keys-error", null);
      try { await api(`/api/v1/auth/api-keys/${k.id}`, { method: "DELETE" }); } catch (error) { showError("keys-error", error); }
      // A revoked key must not stay on screen as if it were usable.
      if (shownKey === k.id) { document.getElementById("new-key").textContent = ""; document.getElementById("new-key-box").hidden = true; shownKey = null; }
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
    shownKey = created.id;
    document.getElementById("new-key-box").hidden = false;
    name.value = "";
    await load();
  } catch (error) {
    showError("keys-error", error);
  }
});

if (await requireUser()) await load();
