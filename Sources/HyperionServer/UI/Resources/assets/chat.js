import { api, el, requireUser, showError, tokens } from "./api.js";

const select = document.getElementById("model-select");
const sessionsList = document.getElementById("sessions");
const messages = document.getElementById("messages");
const form = document.getElementById("ask-form");
const question = document.getElementById("question");
const askButton = document.getElementById("ask");
const stopButton = document.getElementById("stop");
let session = null;
let controller = null;

/** Text with its [n] markers turned into buttons that open the cited passage. */
function renderAnswer(node, text, sources) {
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    parts.push(text.slice(last, m.index));
    for (const n of m[1].split(",").map((x) => parseInt(x, 10))) {
      const source = sources.get(n);
      parts.push(source
        ? el("button", { type: "button", class: "citation", "data-n": n, "aria-label": `Source ${n}: ${source.title}`, onclick: () => openSource(source) }, `[${n}]`)
        : `[${n}]`);
    }
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  node.replaceChildren(...parts.map((p) => (p instanceof Node ? p : document.createTextNode(p))));
}

function openSource(source) {
  document.getElementById("source-title").textContent = source.title;
  document.getElementById("source-page").textContent = source.page ? `Page ${source.page}` : "";
  document.getElementById("source-text").textContent = source.snippet;
  const panel = document.getElementById("source-panel");
  panel.hidden = false;
  document.getElementById("source-close").focus();
}
document.getElementById("source-close").addEventListener("click", () => { document.getElementById("source-panel").hidden = true; });

function addMessage(role, text) {
  const content = el("div", { class: "content" }, text);
  const item = el("li", { class: `message ${role}` }, el("span", { class: "sr-only" }, role === "user" ? "You: " : "Answer: "), content);
  messages.append(item);
  item.scrollIntoView({ block: "end" });
  return { item, content };
}

async function loadModels() {
  const page = await api("/api/v1/models?limit=100");
  const wanted = new URLSearchParams(location.search).get("model");
  select.replaceChildren(...page.items.map((m) => el("option", { value: m.id, selected: m.id === wanted }, m.name)));
  if (!page.items.length) showError("chat-error", new Error("Create a knowledge base first."));
}

async function loadSessions() {
  if (!select.value) return;
  const page = await api(`/api/v1/sessions?model_id=${select.value}&limit=50`);
  sessionsList.replaceChildren(...page.items.map((s) => el("li", {},
    el("button", { type: "button", class: `link${session === s.id ? " current" : ""}`, "data-session-id": s.id, onclick: () => openSession(s.id) }, s.title))));
}

async function openSession(id) {
  session = id;
  messages.replaceChildren();
  const page = await api(`/api/v1/sessions/${id}/messages?limit=100`);
  for (const m of page.items) addMessage(m.role, m.content);
  await loadSessions();
}

async function ensureSession(title) {
  if (session) return session;
  const s = await api("/api/v1/sessions", { method: "POST", body: { model_id: select.value, title: title.slice(0, 80) } });
  session = s.id;
  await loadSessions();
  return session;
}

/** Reads an SSE body, calling `on(event, data)` for each event. */
async function readEvents(response, on) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) on(event, JSON.parse(data));
    }
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text || !select.value) return;
  showError("chat-error", null);
  question.value = "";
  addMessage("user", text);
  const answer = addMessage("assistant", "");
  answer.item.setAttribute("aria-busy", "true");
  const sources = new Map();
  let written = "";
  controller = new AbortController();
  askButton.hidden = true;
  stopButton.hidden = false;
  try {
    const id = await ensureSession(text);
    const response = await fetch("/api/v1/query", {
      method: "POST", signal: controller.signal,
      headers: { "Content-Type": "application/json", Accept: "text/event-stream", Authorization: `Bearer ${tokens().access_token}` },
      body: JSON.stringify({ model_id: select.value, query: text, session_id: id, stream: true }),
    });
    if (!response.ok) throw new Error((await response.json()).detail);
    await readEvents(response, (name, data) => {
      if (name === "sources") data.sources.forEach((s) => sources.set(s.n, s));
      else if (name === "delta") { written += data.text; answer.content.textContent = written; }
      else if (name === "citations") renderAnswer(answer.content, written, sources);
      else if (name === "done") answer.item.dataset.queryId = data.query_id;
      else if (name === "error") throw new Error(data.detail);
    });
  } catch (error) {
    if (error.name === "AbortError") {
      answer.item.classList.add("stopped");
      answer.content.append(el("em", { class: "muted" }, " (stopped)"));
    } else {
      showError("chat-error", error);
    }
  } finally {
    answer.item.removeAttribute("aria-busy");
    askButton.hidden = false;
    stopButton.hidden = true;
    controller = null;
  }
});

stopButton.addEventListener("click", () => controller?.abort());
question.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
document.getElementById("new-session").addEventListener("click", () => { session = null; messages.replaceChildren(); loadSessions(); question.focus(); });
select.addEventListener("change", () => { session = null; messages.replaceChildren(); loadSessions(); });

if (await requireUser()) {
  await loadModels();
  await loadSessions();
}
