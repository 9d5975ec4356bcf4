// @ts-check
/// <reference lib="dom" />
// Applies the saved theme before first paint (no flash); app.js owns the toggle.
try {
  const t = localStorage.getItem("kanade_theme");
  if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
} catch { /* storage blocked: follow the system */ }
