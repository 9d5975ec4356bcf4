/// <reference lib="dom" />
/**
 * The Events page's include/exclude chips and payload filter under Deno (no browser): the
 * URL state (CSV lists, the older single `source`, a value both included and excluded),
 * the API query with the payload pair only when it is whole and valid, the page URL
 * round trip, the chip edits and the payload checks with the API's key rule.
 */
import assert from "node:assert/strict";
import * as api from "../../static/assets/js/api.js";
import {
  addChip,
  eventsQuery,
  eventsState,
  eventsUrl,
  payloadProblem,
} from "../../static/assets/js/pages/events.js";

Deno.test("events filters: include/exclude lists and payload pair in state, query and URL", () => {
  const st = eventsState(
    new URLSearchParams(
      "kinds=logon,boot,logon&kinds_ex=boot,crash&sources=agent:a&source=agent:b" +
        "&sources_ex=agent:c&payload_key=logon_type&payload_value=10",
    ),
  );
  assert.deepEqual(st.kinds, ["logon"], "deduplicated; boot is excluded, so not included");
  assert.deepEqual(st.kinds_ex, ["boot", "crash"]);
  assert.deepEqual(st.sources, ["agent:a", "agent:b"], "the older `source` joins `sources`");
  assert.deepEqual(st.sources_ex, ["agent:c"]);
  const q = eventsQuery(st);
  assert.equal(
    api.buildUrl("/api/obs_events", q ?? {}),
    "/api/obs_events?kinds=logon&kinds_ex=boot%2Ccrash&sources=agent%3Aa%2Cagent%3Ab" +
      "&sources_ex=agent%3Ac&payload_key=logon_type&payload_value=10&limit=200",
  );
  const url = eventsUrl(st);
  assert.equal(
    url,
    "/events?kinds=logon&kinds_ex=boot%2Ccrash&sources=agent%3Aa%2Cagent%3Ab" +
      "&sources_ex=agent%3Ac&payload_key=logon_type&payload_value=10",
  );
  // The page's URL reads back to the same state (a shared link shows the same filters).
  assert.deepEqual(eventsState(new URL(url, "http://x").searchParams), st);
  // Only an exclude list is a filter too (not the fleet's newest).
  assert.notEqual(eventsQuery(eventsState(new URLSearchParams("sources_ex=x"))), null);
  // Half a payload pair, or a key the API refuses, is not sent (the form says why).
  for (const qs of ["payload_key=a", "payload_value=1", "payload_key=a.b&payload_value=1"]) {
    assert.equal(eventsQuery(eventsState(new URLSearchParams(qs))), null, qs);
  }
  // A value may be "0" or have spaces: compared as given.
  const zero = eventsQuery(eventsState(new URLSearchParams("payload_key=n&payload_value=0")));
  assert.equal(zero?.payload_value, "0");
});

Deno.test("events filters: chips move between include and exclude", () => {
  let l = { include: [] as string[], exclude: [] as string[] };
  l = addChip(l, " logon ", false);
  l = addChip(l, "logon", false);
  assert.deepEqual(l, { include: ["logon"], exclude: [] }, "trimmed, once");
  l = addChip(l, "boot", true);
  l = addChip(l, "logon", true);
  assert.deepEqual(l, { include: [], exclude: ["boot", "logon"] }, "excluding moves it");
  l = addChip(l, "boot", false);
  assert.deepEqual(l, { include: ["boot"], exclude: ["logon"] });
  assert.equal(addChip(l, "  ", true), l, "blank adds nothing");
});

Deno.test("events filters: the payload pair's checks", () => {
  assert.equal(payloadProblem("", ""), null);
  assert.equal(payloadProblem("logon_type", "10"), null);
  assert.equal(payloadProblem("User_2", "alice smith"), null);
  assert.match(payloadProblem("", "10") ?? "", /give the key/);
  assert.match(payloadProblem("logon_type", "") ?? "", /give the value/);
  for (const bad of ["a.b", "a b", "a-b", "$.x", "ü"]) {
    assert.match(payloadProblem(bad, "1") ?? "", /letters, digits and _ only/, bad);
  }
});
