import { saveTokens, showError, tokens } from "./api.js";

const form = document.getElementById("auth-form");
const toggle = document.getElementById("signup-toggle");
if (tokens()) location.href = "/ui/";

toggle?.addEventListener("click", () => {
  const signup = form.dataset.mode !== "signup";
  form.dataset.mode = signup ? "signup" : "signin";
  document.getElementById("auth-title").textContent = signup ? "Create an account" : "Sign in";
  document.getElementById("signin").textContent = signup ? "Create account" : "Sign in";
  document.getElementById("password").autocomplete = signup ? "new-password" : "current-password";
  toggle.textContent = signup ? "Have an account? Sign in" : "No account? Sign up";
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("auth-error", null);
  const email = document.getElementById("email").value.trim();
  const password = document.getElementById("password").value;
  const post = (path, body) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  try {
    if (form.dataset.mode === "signup") {
      const r = await post("/api/v1/auth/signup", { email, password });
      if (!r.ok) throw new Error((await r.json()).detail);
    }
    const r = await post("/api/v1/auth/login", { email, password });
    const body = await r.json();
    if (!r.ok) throw new Error(body.detail);
    saveTokens(body);
    location.href = "/ui/";
  } catch (error) {
    showError("auth-error", error);
  }
});
