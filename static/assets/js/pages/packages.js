// @ts-check
/// <reference lib="dom" />
/**
 * App packages: upload (`<name>/<version>`, up to 8 GiB, with the browser's upload
 * progress), the list with sizes and digests, download and delete.
 */
import * as api from "../api.js";
import { fmtBytes, fmtTime, h, mount, relTime } from "../dom.js";
import { confirmedButton } from "../list_actions.js";
import {
  actionButton,
  canWrite,
  card,
  errorBox,
  liveSection,
  pageHeader,
  progressBar,
  readOnlyNote,
  table,
  toast,
} from "../ui.js";

export const title = "App packages";

export const MAX_PACKAGE_BYTES = 8 * 1024 * 1024 * 1024;

/**
 * Why a name or version cannot be a package key part (the backend's rules), or null.
 * @param {string} what @param {string} v
 */
export function packagePartProblem(what, v) {
  if (v === "") return `${what} must be non-empty`;
  if (v.includes("/")) return `${what} must not contain '/'`;
  if (/[^\x20-\x7e]/.test(v)) return `${what} must be ASCII without control characters`;
  if (v.includes('"') || v.includes("\\")) return `${what} must not contain '"' or '\\'`;
  if (v === "." || v === "..") return `${what} must not be '.' or '..'`;
  return null;
}

/** @param {any[]} rows @param {boolean} writable @param {() => void} reload */
function listView(rows, writable, reload) {
  return table({
    caption: "App packages",
    rows: rows ?? [],
    empty: "No package uploaded yet.",
    columns: [
      { label: "Name", cell: (p) => h("strong", null, p.name) },
      { label: "Version", cell: (p) => h("code", null, p.version) },
      { label: "Size", cell: (p) => fmtBytes(p.size), class: "num" },
      {
        label: "Digest",
        cell: (p) =>
          h("code", { title: p.digest ?? "" }, String(p.digest ?? "—").slice(0, 24) + "…"),
      },
      {
        label: "Uploaded",
        cell: (p) =>
          p.modified
            ? h("time", { datetime: p.modified, title: fmtTime(p.modified) }, relTime(p.modified))
            : "—",
      },
      {
        label: "Actions",
        cell: (p) =>
          h(
            "div",
            { class: "row-actions" },
            actionButton("Download", () => api.downloadAppPackage(p.name, p.version), {
              class: "btn btn-sm",
              "aria-label": `Download ${p.name} ${p.version}`,
            }),
            writable
              ? confirmedButton("Delete", {
                title: `Delete ${p.name} ${p.version}?`,
                body: "Agents and jobs that install it can no longer download it.",
              }, async () => {
                await api.deleteAppPackage(p.name, p.version);
                toast(`${p.name} ${p.version} deleted`, "ok");
                await reload();
              }, { class: "btn btn-sm btn-danger", "aria-label": `Delete ${p.name} ${p.version}` })
              : null,
          ),
      },
    ],
  });
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, signal }) {
  const writable = canWrite();
  const listEl = h("div", { id: "packages-list" });
  const reload = liveSection(listEl, {
    signal,
    topics: ["audit"],
    what: "Loading packages",
    load: (s) => api.appPackages(s),
    render: (rows) => listView(rows, writable, () => reload()),
  });
  main.append(
    pageHeader("App packages"),
    writable
      ? uploadCard(() => reload(), signal)
      : card("Upload", readOnlyNote("upload or delete packages")),
    card("Packages", listEl),
  );
}

/** @param {() => void} reload @param {AbortSignal} signal */
function uploadCard(reload, signal) {
  const name = h("input", {
    type: "text",
    id: "pkg-name",
    name: "name",
    required: true,
    autocomplete: "off",
    placeholder: "office",
  });
  const version = h("input", {
    type: "text",
    id: "pkg-version",
    name: "version",
    required: true,
    autocomplete: "off",
    placeholder: "2024.1",
  });
  const file = h("input", {
    type: "file",
    id: "pkg-file",
    name: "file",
    required: true,
    "aria-describedby": "pkg-hint",
  });
  const progressEl = h("div", { id: "pkg-progress" });
  const status = h("div", { id: "pkg-status", role: "status" });
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "pkg-submit" },
    "Upload",
  );
  return card(
    "Upload a package",
    h(
      "form",
      {
        class: "inline-form",
        "aria-label": "Upload an app package",
        onsubmit: async (ev) => {
          ev.preventDefault();
          const n = name.value.trim();
          const v = version.value.trim();
          const f = file.files?.[0];
          const problem = packagePartProblem("name", n) ?? packagePartProblem("version", v) ??
            (!f
              ? "Choose the file to upload."
              : f.size === 0
              ? "'file' field is empty"
              : f.size > MAX_PACKAGE_BYTES
              ? `${f.name} is ${fmtBytes(f.size)}; the limit is 8 GiB.`
              : null);
          if (problem || !f) {
            mount(status, errorBox(problem ?? "Choose the file to upload."));
            return;
          }
          submit.disabled = true;
          mount(status);
          /** @param {number} sent @param {number} total */
          const show = (sent, total) =>
            mount(
              progressEl,
              progressBar({
                label: `Uploading ${f.name}`,
                value: sent,
                max: total,
                id: "pkg-progress-bar",
              }),
              h("p", { class: "hint" }, `${fmtBytes(sent)} of ${fmtBytes(total)} sent`),
            );
          show(0, f.size);
          try {
            const r = await api.uploadAppPackage(n, v, f, show, signal);
            mount(progressEl);
            mount(
              status,
              h(
                "p",
                { class: "note", id: "pkg-done" },
                `Uploaded ${r.name} ${r.version} (${fmtBytes(r.size)}).`,
              ),
            );
            toast(`${r.name} ${r.version} uploaded`, "ok");
            file.value = "";
            await reload();
          } catch (e) {
            mount(progressEl);
            if (!api.isAbort(e)) mount(status, errorBox(e, "Not uploaded:"));
          } finally {
            submit.disabled = false;
          }
        },
      },
      h("div", { class: "narrow" }, h("label", { for: "pkg-name" }, "Name"), name),
      h("div", { class: "narrow" }, h("label", { for: "pkg-version" }, "Version"), version),
      h("div", null, h("label", { for: "pkg-file" }, "File"), file),
      submit,
    ),
    h(
      "p",
      { class: "hint", id: "pkg-hint" },
      "Up to 8 GiB; uploading the same name and version replaces it.",
    ),
    progressEl,
    status,
  );
}
