import { APIError, refreshAccess, showError, signIn } from "./api.js";

const form = document.getElementById("auth-form");
const toggle = document.getElementById("signup-toggle");
// Back to the page that sent here; only pages of this UI (never another site).
const next = (() => {
  const n = new URLSearchParams(location.search).get("next") || "";
  return /^\/ui(\/|$)/.test(n) && !n.startsWith("//") ? n : "/ui/";
})();

// Signed in already (another tab, a reload): the session cookie gives a token without asking again.
if (await refreshAccess()) location.replace(next);

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
  try {
    if (form.dataset.mode === "signup") {
      const r = await fetch("/api/v1/auth/signup", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) });
      if (!r.ok) throw new APIError(r.status, await r.json().catch(() => null));
    }
    await signIn(email, password);
    location.href = next;
  } catch (error) {
    showError("auth-error", error);
  }
});
