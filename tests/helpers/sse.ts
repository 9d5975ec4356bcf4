/**
 * A test client for `GET /api/events/stream`: opens the stream on a listening backend,
 * collects its text in the background and resolves once the `ready` event arrived.
 */
import assert from "node:assert/strict";
import { type TestBackend, waitFor } from "./backend.ts";

export interface SseClient {
  /** Everything received so far. */
  text(): string;
  close(): Promise<void>;
}

export async function openSse(b: TestBackend, query = ""): Promise<SseClient> {
  const { url } = await b.listen();
  const ctl = new AbortController();
  const res = await fetch(`${url}/api/events/stream${query}`, {
    headers: { authorization: `Bearer ${b.token}` },
    signal: ctl.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
    }
  })().catch(() => {});
  await waitFor(() => text.includes("event: ready"), { what: "SSE stream ready" });
  return {
    text: () => text,
    close: async () => {
      ctl.abort();
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
}
