import { api, requireUser, showError, signOut } from "./api.js";

const me = await requireUser();
if (me) {
  document.getElementById("account-email").textContent = me.email;
  document.getElementById("account-role").textContent = me.role;
}

document.getElementById("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("password-error", null);
  const current = document.getElementById("current-password").value;
  const next = document.getElementById("new-password").value;
  if (next !== document.getElementById("repeat-password").value) {
    showError("password-error", new Error("The two new passwords differ."));
    return;
  }
  try {
    await api("/api/v1/auth/me/password", { method: "POST", body: { current_password: current, new_password: next } });
  } catch (error) {
    showError("password-error", error);
    return;
  }
  // A new password signs out every session, this one included: sign in again with it.
  document.getElementById("password-status").textContent = "Password changed. Sign in again with the new one.";
  setTimeout(signOut, 1500);
});

document.getElementById("logout-all").addEventListener("click", async () => {
  if (!confirm("Sign out on every device and browser, this one included?")) return;
  try { await api("/api/v1/auth/logout-all", { method: "POST" }); } catch (error) { showError("password-error", error); return; }
  await signOut();
});
