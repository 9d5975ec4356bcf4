/// <reference lib="dom" />
/**
 * Pure client logic of the compliance views under Deno (no browser): card grouping and
 * row order, the count line, the URL state, the summary and Clear messages, the check
 * topic of the change feed, and the URLs the API module builds for the checks routes.
 */
import assert from "node:assert/strict";
import {
  checkCards,
  clearMessage,
  COUNT_KINDS,
  countParts,
  rowRank,
  statusKind,
} from "../../static/assets/js/checks_view.js";
import {
  complianceState,
  complianceUrl,
  OK_LIMIT,
  okShownNote,
  slug,
  summaryText,
} from "../../static/assets/js/pages/compliance.js";
import { topicOf } from "../../static/assets/js/live.js";
import { matchRoute, navFor } from "../../static/assets/js/routes.js";
import * as api from "../../static/assets/js/api.js";

const row = (pc_id: string, check_name: string, status: string, stale = false) => ({
  pc_id,
  check_name,
  label: null,
  status,
  detail: null,
  recorded_at: "2026-12-01T10:00:00.000Z",
  stale,
});
const counts = (check_name: string, label: string | null, n: Partial<Record<string, number>>) => ({
  check_name,
  label,
  ok: 0,
  warn: 0,
  fail: 0,
  unknown: 0,
  stale: 0,
  ...n,
});

Deno.test("checks: status colours; rows worst first, stale before ok", () => {
  assert.equal(statusKind("fail"), "fail");
  assert.equal(statusKind("warn"), "warn");
  assert.equal(statusKind("ok"), "ok");
  assert.equal(statusKind("unknown"), "info");
  assert.equal(statusKind("FAIL"), "info", "only the exact statuses");
  const ranks = [
    row("a", "c", "fail"),
    row("a", "c", "warn"),
    row("a", "c", "unknown"),
    row("a", "c", "ok", true),
    row("a", "c", "fail", true),
    row("a", "c", "ok"),
  ].map(rowRank);
  assert.deepEqual(ranks, [0, 1, 2, 3, 3, 4]);
});

Deno.test("checks: one card per counts entry, in the API's order, rows grouped and sorted", () => {
  const view = {
    counts: [
      counts("bitlocker", "BitLocker on", { ok: 5, fail: 2, stale: 1 }),
      counts("disk", null, { ok: 1 }),
    ],
    rows: [
      row("PC-9", "bitlocker", "fail"),
      row("PC-2", "bitlocker", "ok", true),
      row("PC-3", "bitlocker", "fail"),
      row("PC-1", "bitlocker", "weird"),
    ],
    stale_days: 30,
    truncated: false,
  };
  const cards = checkCards(view);
  assert.deepEqual(cards.map((c) => [c.check_name, c.title, c.showingOk]), [
    ["bitlocker", "BitLocker on", false],
    ["disk", "disk", false],
  ]);
  assert.deepEqual(cards[0].rows.map((r) => `${r.pc_id} ${r.status}`), [
    "PC-3 fail",
    "PC-9 fail",
    "PC-1 weird",
    "PC-2 ok",
  ]);
  assert.deepEqual(cards[1].rows, [], "a check whose PCs all pass has no rows");
  // A card shown with its ok PCs adds them from its own include_ok answer.
  const cards2 = checkCards(view, new Map([["disk", [row("PC-1", "disk", "ok")]]]));
  assert.equal(cards2[1].showingOk, true);
  assert.deepEqual(cards2[1].rows.map((r) => r.pc_id), ["PC-1"]);
  assert.equal(cards2[1].okShown, 1);
  assert.equal(cards2[0].rows.length, 4, "the other cards are unchanged");
  // An include_ok answer cut at its limit (here: it has only PC-1's failure and one ok PC)
  // never hides the failures the main answer listed, and lists no row twice.
  const cut = checkCards(
    view,
    new Map([["bitlocker", [
      row("PC-1", "bitlocker", "weird"),
      row("PC-0", "bitlocker", "ok"),
      row("PC-2", "bitlocker", "ok", true),
    ]]]),
  );
  assert.deepEqual(cut[0].rows.map((r) => `${r.pc_id} ${r.status}`), [
    "PC-3 fail",
    "PC-9 fail",
    "PC-1 weird",
    "PC-2 ok",
    "PC-0 ok",
  ]);
  assert.equal(cut[0].okShown, 1);
});

Deno.test("checks: the count line has every kind in order; zero is muted", () => {
  assert.deepEqual(COUNT_KINDS, ["fail", "warn", "unknown", "stale", "ok"]);
  assert.deepEqual(countParts(counts("x", null, { fail: 2, stale: 1, ok: 3 })), [
    { kind: "fail", n: 2, badge: "fail" },
    { kind: "warn", n: 0, badge: "muted" },
    { kind: "unknown", n: 0, badge: "muted" },
    { kind: "stale", n: 1, badge: "muted" },
    { kind: "ok", n: 3, badge: "ok" },
  ]);
  assert.equal(countParts(counts("x", null, { unknown: 1 }))[2].badge, "info");
});

Deno.test("compliance page: URL state, ids, summary and Clear messages", () => {
  assert.deepEqual(complianceState(new URLSearchParams("check=%20disk%20")), { check: "disk" });
  assert.deepEqual(complianceState(new URLSearchParams("")), { check: "" });
  assert.equal(complianceUrl({ check: "" }), "/compliance");
  assert.equal(complianceUrl({ check: "a b/c" }), "/compliance?check=a%20b%2Fc");
  assert.equal(slug("bit-locker_2"), "bit-locker_2");
  assert.equal(slug('a b.c"d'), "a_b_c_d");
  const view = {
    counts: [counts("a", null, { fail: 2, warn: 1, ok: 4 }), counts("b", null, { stale: 3 })],
    rows: [],
    stale_days: 30,
    truncated: false,
  };
  assert.equal(
    summaryText(view),
    "2 checks, 3 results need attention, 3 stale. A status older than 30 days is stale and counted apart.",
  );
  assert.match(summaryText({ ...view, stale_days: 0 }), /Stale marking is off\.$/);
  assert.equal(summaryText({ ...view, counts: [] }), "");
  assert.equal(
    summaryText({ ...view, counts: [counts("a", null, { fail: 1 })] }),
    "1 check, 1 result needs attention, 0 stale. A status older than 30 days is stale and counted apart.",
  );
  assert.equal(okShownNote(5, 5), "");
  assert.equal(
    okShownNote(90_000, OK_LIMIT),
    `Showing ${OK_LIMIT} of 90000 ok PCs (the first by PC id); each agent page lists its own checks.`,
  );
  assert.equal(
    clearMessage(0, "disk on PC-1"),
    "Nothing stored for disk on PC-1: nothing to clear.",
  );
  assert.equal(clearMessage(1, "disk on PC-1"), "Cleared disk on PC-1 (1 row).");
  assert.equal(clearMessage(7, "disk on every PC"), "Cleared disk on every PC (7 rows).");
});

Deno.test("compliance: route, menu section, change-feed topic, API URLs", () => {
  assert.equal(matchRoute("/compliance").page, "compliance");
  assert.equal(navFor("/compliance"), "/compliance");
  // The projector's notice is `kanade.changes.check` → SSE event "check".
  assert.deepEqual(
    [...topicOf({ event: "check", data: { kind: "check", check_names: ["disk"] } }) ?? []],
    ["checks"],
  );
  assert.equal(topicOf({ event: "result", data: { kind: "result" } })?.has("checks"), false);
  assert.equal(
    api.buildUrl("/api/checks", { check: "disk", include_ok: true, pc_id: undefined }),
    "/api/checks?check=disk&include_ok=true",
  );
  assert.equal(
    api.buildUrl(api.path`/api/checks/${"a b"}`, { pc_id: "PC 1" }),
    "/api/checks/a%20b?pc_id=PC+1",
  );
});
