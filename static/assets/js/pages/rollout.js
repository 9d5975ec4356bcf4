// @ts-check
/// <reference lib="dom" />
/**
 * Agent self-update: upload a release binary, list and delete releases, point a scope
 * (global, group or PC) at a version, and watch agents reach it.
 */
import * as api from "../api.js";
import { fmtBytes, fmtTime, h, mount, relTime, selectBox } from "../dom.js";
import { href } from "../routes.js";
import {
  actionButton,
  canWrite,
  card,
  confirmDialog,
  errorBox,
  liveSection,
  pageHeader,
  progressBar,
  readOnlyNote,
  stateBadge,
  table,
  toast,
} from "../ui.js";

export const title = "Rollout";

/**
 * The rollout body from the form values, or an error message.
 * @param {{version: string, type: string, value: string, jitter: string}} f
 * @returns {{body: Record<string, unknown>} | {error: string}}
 */
export function rolloutBody(f) {
  const version = f.version.trim();
  if (!version) return { error: "Choose the version to roll out." };
  const type = ["global", "group", "pc"].includes(f.type) ? f.type : "global";
  const value = f.value.trim();
  if (type !== "global" && !value) {
    return { error: `Enter the ${type === "pc" ? "PC" : "group"} to roll out to.` };
  }
  /** @type {Record<string, unknown>} */
  const body = { version, scope: type === "global" ? { type } : { type, value } };
  if (f.jitter.trim()) body.jitter = f.jitter.trim();
  return { body };
}

/**
 * The config page of a scope label (`global`, `group:<name>`, `pc:<id>`).
 * @param {string} label
 */
export function configHref(label) {
  const m = /^(group|pc):(.+)$/.exec(String(label ?? ""));
  return m ? `/config?scope=${m[1]}&value=${encodeURIComponent(m[2])}` : "/config";
}

/** @param {any[]} rows @param {boolean} writable @param {() => void} reload @param {any} status */
function releasesView(rows, writable, reload, status) {
  return table({
    caption: "Agent releases",
    rows: rows ?? [],
    empty: "No releases published yet.",
    columns: [
      { label: "Version", cell: (r) => h("strong", null, r.version) },
      { label: "Platform", cell: (r) => r.platform ?? "—" },
      { label: "Size", cell: (r) => fmtBytes(r.size), class: "num" },
      {
        label: "Digest",
        cell: (r) => h("code", { title: r.digest }, String(r.digest ?? "").slice(0, 22) + "…"),
      },
      {
        label: "Published",
        cell: (r) =>
          r.modified
            ? h("time", { datetime: r.modified, title: fmtTime(r.modified) }, relTime(r.modified))
            : "—",
      },
      {
        label: "Actions",
        cell: (r) =>
          writable
            ? actionButton("Delete", async () => {
              const ok = await confirmDialog({
                title: `Delete release ${r.version}?`,
                body: "Agents that still target it can no longer download it.",
                confirm: "Delete",
                danger: true,
              });
              if (!ok) return;
              try {
                await api.deleteRelease(r.version);
                mount(status);
                toast(`Release ${r.version} deleted`, "ok");
                await reload();
              } catch (e) {
                mount(
                  status,
                  errorBox(
                    e,
                    api.statusOf(e) === 409
                      ? `Release ${r.version} is still a target: point those scopes at another version first.`
                      : "Not deleted:",
                  ),
                );
              }
            }, { class: "btn btn-sm btn-danger", "aria-label": `Delete release ${r.version}` })
            : h("span", { class: "muted" }, "—"),
      },
    ],
  });
}

/** @param {any} st */
function statusView(st) {
  if (!st) return h("p", { class: "empty" }, "No status.");
  const scopes = st.scopes ?? [];
  const behind = (st.agents ?? []).filter((/** @type {any} */ a) => !a.on_target);
  return h(
    "div",
    null,
    h(
      "div",
      { class: "stats" },
      h(
        "div",
        { class: "stat" },
        h("span", { class: "num", id: "rollout-on-target" }, st.on_target ?? 0),
        h("span", { class: "lbl" }, "on target"),
      ),
      h(
        "div",
        { class: "stat" },
        h("span", { class: "num" }, st.remaining ?? 0),
        h("span", { class: "lbl" }, "remaining"),
      ),
      h(
        "div",
        { class: "stat" },
        h("span", { class: "num" }, st.untargeted ?? 0),
        h("span", { class: "lbl" }, "no target"),
      ),
      h(
        "div",
        { class: "stat" },
        h("span", { class: "num" }, st.total ?? 0),
        h("span", { class: "lbl" }, "with a target"),
      ),
    ),
    h("div", { style: "margin-top:12px" }),
    table({
      caption: "Rollout by scope",
      rows: scopes,
      empty: "No scope sets a target version.",
      columns: [
        {
          label: "Scope",
          cell: (s) => h("a", { href: configHref(s.scope_label) }, s.scope_label),
        },
        { label: "Target", cell: (s) => h("code", null, s.target_version) },
        { label: "Jitter", cell: (s) => s.jitter ?? "—" },
        {
          label: "Progress",
          cell: (s) =>
            h(
              "div",
              null,
              progressBar({ label: `${s.scope_label} rollout`, value: s.on_target, max: s.total }),
              h("span", { class: "hint" }, `${s.on_target} / ${s.total}`),
            ),
        },
        { label: "Active", cell: (s) => s.active, class: "num" },
      ],
    }),
    behind.length
      ? h(
        "details",
        null,
        h(
          "summary",
          null,
          // The status lists a bounded number of agents (those behind first); the count is
          // the full one.
          `${st.remaining ?? behind.length} agent${
            (st.remaining ?? behind.length) === 1 ? "" : "s"
          } not on target yet`,
        ),
        table({
          caption: "Agents not on their target version",
          rows: behind.slice(0, 200),
          columns: [
            {
              label: "PC",
              cell: (a) => h("a", { href: href("/agents/:pc", { pc: a.pc_id }) }, a.pc_id),
            },
            { label: "Running", cell: (a) => a.agent_version ?? "—" },
            { label: "Target", cell: (a) => a.target_version },
            { label: "State", cell: (a) => stateBadge(a.active ? "online" : "offline") },
          ],
        }),
      )
      : null,
    h("p", { class: "hint" }, `Observed ${fmtTime(st.observed_at)}.`),
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, signal }) {
  const writable = canWrite();
  const listEl = h("div", { id: "releases-list" });
  const listStatus = h("div", { id: "releases-status", role: "status" });
  const statusEl = h("div", { id: "rollout-status" });
  const versionSel = h("select", { id: "ro-version", name: "version" });

  const reloadReleases = liveSection(listEl, {
    signal,
    topics: ["audit"],
    what: "Loading releases",
    load: async (s) => {
      const rows = await api.releases(s);
      const cur = versionSel.value;
      mount(
        versionSel,
        (rows ?? []).length ? null : h("option", { value: "" }, "no releases"),
        (rows ?? []).map((/** @type {any} */ r) =>
          h("option", { value: r.version, selected: r.version === cur }, r.version)
        ),
      );
      return rows;
    },
    render: (rows) => releasesView(rows, writable, () => reloadReleases(), listStatus),
  });
  const reloadStatus = liveSection(statusEl, {
    signal,
    topics: ["agents"],
    minGapMs: 5000,
    what: "Loading rollout status",
    load: (s) => api.rolloutStatus("", s),
    render: statusView,
  });

  main.append(pageHeader("Rollout"));
  if (writable) main.append(uploadCard(() => reloadReleases()));
  main.append(
    card("Releases", listStatus, listEl),
    writable
      ? rolloutCard(versionSel, () => reloadStatus())
      : card("Roll out", readOnlyNote("upload releases or start a rollout")),
    card("Progress", statusEl),
  );
}

/** @param {() => void} reload */
function uploadCard(reload) {
  const file = h("input", {
    type: "file",
    id: "up-file",
    name: "file",
    required: true,
    "aria-describedby": "up-hint",
  });
  const version = h("input", {
    type: "text",
    id: "up-version",
    name: "version",
    autocomplete: "off",
    placeholder: "from the binary",
  });
  const platform = selectBox({ id: "up-platform", name: "platform" }, [
    ["", "not set"],
    ["windows", "Windows"],
    ["linux", "Linux"],
    ["macos", "macOS"],
  ]);
  const status = h("div", { id: "up-status", role: "status" });
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "up-submit" },
    "Upload",
  );
  return card(
    "Upload a release",
    h(
      "form",
      {
        class: "inline-form",
        "aria-label": "Upload an agent binary",
        onsubmit: async (ev) => {
          ev.preventDefault();
          const f = file.files?.[0];
          if (!f) {
            mount(status, errorBox("Choose the agent binary to upload."));
            return;
          }
          if (f.size > 64 * 1024 * 1024) {
            mount(status, errorBox(`${f.name} is ${fmtBytes(f.size)}; the limit is 64 MiB.`));
            return;
          }
          submit.disabled = true;
          mount(status, h("p", { class: "loading" }, `Uploading ${f.name} (${fmtBytes(f.size)})…`));
          try {
            const r = await api.publishRelease(f, {
              version: version.value.trim(),
              platform: platform.value,
              filename: f.name,
            });
            mount(
              status,
              h("p", { class: "note" }, `Published ${r.version} (${fmtBytes(r.size)}).`),
            );
            toast(`Release ${r.version} published`, "ok");
            file.value = "";
            version.value = "";
            await reload();
          } catch (e) {
            mount(status, errorBox(e, "Not published:"));
          } finally {
            submit.disabled = false;
          }
        },
      },
      h("div", null, h("label", { for: "up-file" }, "Agent binary"), file),
      h("div", { class: "narrow" }, h("label", { for: "up-version" }, "Version"), version),
      h("div", { class: "narrow" }, h("label", { for: "up-platform" }, "Platform"), platform),
      submit,
    ),
    h(
      "p",
      { class: "hint", id: "up-hint" },
      "Up to 64 MiB. Windows binaries carry their version; for others enter it.",
    ),
    status,
  );
}

/** @param {HTMLSelectElement} versionSel @param {() => void} reload */
function rolloutCard(versionSel, reload) {
  const type = selectBox({ id: "ro-scope", name: "scope" }, [["global", "Every agent (global)"], [
    "group",
    "A group",
  ], ["pc", "One PC"]]);
  const value = h("input", {
    type: "text",
    id: "ro-value",
    name: "value",
    autocomplete: "off",
    placeholder: "canary or PC-0001",
  });
  const valueRow = h(
    "div",
    { hidden: true },
    h("label", { for: "ro-value" }, "Group or PC"),
    value,
  );
  type.addEventListener("change", () => {
    valueRow.hidden = type.value === "global";
  });
  const jitter = h("input", {
    type: "text",
    id: "ro-jitter",
    name: "jitter",
    autocomplete: "off",
    placeholder: "10m",
  });
  const status = h("div", { id: "ro-status", role: "status" });
  return card(
    "Roll out",
    h(
      "form",
      {
        class: "inline-form",
        "aria-label": "Roll out a version",
        onsubmit: async (ev) => {
          ev.preventDefault();
          const b = rolloutBody({
            version: versionSel.value,
            type: type.value,
            value: value.value,
            jitter: jitter.value,
          });
          if ("error" in b) {
            mount(status, errorBox(b.error));
            return;
          }
          const ok = await confirmDialog({
            title: `Roll out ${b.body.version}?`,
            body: `Agents in ${
              /** @type {any} */ (b.body.scope).value ?? "the whole fleet"
            } will update themselves.`,
            confirm: "Roll out",
          });
          if (!ok) return;
          try {
            const r = await api.rollout(/** @type {any} */ (b.body));
            mount(
              status,
              h(
                "p",
                { class: "note" },
                `${r.scope_label} now targets ${r.version}${
                  r.jitter ? ` (jitter ${r.jitter})` : ""
                }.`,
              ),
            );
            toast(`Rollout of ${r.version} set`, "ok");
            await reload();
          } catch (e) {
            mount(status, errorBox(e, "Not rolled out:"));
          }
        },
      },
      h("div", { class: "narrow" }, h("label", { for: "ro-version" }, "Version"), versionSel),
      h("div", null, h("label", { for: "ro-scope" }, "Scope"), type),
      valueRow,
      h("div", { class: "narrow" }, h("label", { for: "ro-jitter" }, "Jitter"), jitter),
      h("button", { type: "submit", class: "btn btn-primary", id: "ro-submit" }, "Roll out"),
    ),
    status,
  );
}
