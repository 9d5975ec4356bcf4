/**
 * A real local webhook receiver for the alert tests: `Deno.serve` on a free loopback port,
 * recording every request (path, headers, raw body) and answering by path: `/ok` 200,
 * `/flaky/<n>` 503 n times then 200, `/down` 500 "boom", `/gone` 404, `/slow` after 1.5 s.
 */
export interface Hit {
  path: string;
  headers: Headers;
  body: string;
}

export function startReceiver() {
  const hits: Hit[] = [];
  const flaky = new Map<string, number>();
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      const body = await req.text();
      hits.push({ path, headers: req.headers, body });
      if (path === "/ok") return new Response("thanks");
      if (path.startsWith("/flaky/")) {
        const seen = (flaky.get(path) ?? 0) + 1;
        flaky.set(path, seen);
        return seen <= Number(path.split("/")[2])
          ? new Response("busy", { status: 503 })
          : new Response("ok");
      }
      if (path === "/down") return new Response("boom", { status: 500 });
      if (path === "/gone") return new Response("no such hook", { status: 404 });
      if (path === "/slow") {
        await new Promise((r) => setTimeout(r, 1500));
        return new Response("late");
      }
      return new Response("?", { status: 400 });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    url: (p: string) => `${base}${p}`,
    hits,
    on: (p: string) => hits.filter((h) => h.path === p),
    async stop() {
      ac.abort();
      await server.finished;
    },
  };
}
