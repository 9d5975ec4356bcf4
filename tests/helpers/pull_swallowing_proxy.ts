/**
 * A TCP proxy in front of a real broker that can lose JetStream pull requests: it forwards
 * every byte both ways, except client `PUB`s to `$JS.API.CONSUMER.MSG.NEXT.…` while told to
 * swallow some. The broker then never sees the pull, as when nats-server 2.9 drops a pull
 * request that expired while it was delivering (without the 408 that tells the client;
 * nats-io/nats-server#3942), and the client still counts the messages it asked for.
 */
const NEXT = "$JS.API.CONSUMER.MSG.NEXT.";
const CRLF = "\r\n";

export interface PullSwallowingProxy {
  url: string;
  /** Lose the next `n` pull requests. */
  swallow(n: number): void;
  /** Pull requests lost so far. */
  readonly swallowed: number;
  close(): void;
}

export function startPullSwallowingProxy(upstreamPort: number): PullSwallowingProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let toSwallow = 0;
  let swallowed = 0;

  /** Forwards the client's protocol frame by frame; a frame is a line, plus payload for PUB/HPUB. */
  async function clientToServer(from: Deno.Conn, to: Deno.Conn) {
    let buf = new Uint8Array(0);
    const dec = new TextDecoder();
    for await (const chunk of from.readable) {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
      let at = 0;
      const out: Uint8Array[] = [];
      for (;;) {
        const eol = buf.indexOf(10, at); // '\n' ends the control line
        if (eol < 0) break;
        const line = dec.decode(buf.subarray(at, eol + 1));
        const [op, subject] = line.trim().split(" ");
        let end = eol + 1;
        const upper = op.toUpperCase();
        if (upper === "PUB" || upper === "HPUB") {
          const size = Number(line.trim().split(" ").at(-1));
          end = eol + 1 + size + CRLF.length;
          if (buf.length < end) break; // the payload is still coming
          if (upper === "PUB" && subject.startsWith(NEXT) && toSwallow > 0) {
            toSwallow--;
            swallowed++;
            at = end;
            continue;
          }
        }
        out.push(buf.subarray(at, end));
        at = end;
      }
      for (const part of out) await to.write(part);
      buf = buf.slice(at);
    }
  }

  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
      conns.add(client).add(server);
      const done = () => {
        for (const c of [client, server]) {
          conns.delete(c);
          try {
            c.close();
          } catch { /* already closed */ }
        }
      };
      server.readable.pipeTo(client.writable, { preventClose: true }).catch(() => {}).finally(
        done,
      );
      clientToServer(client, server).catch(() => {}).finally(done);
    }
  })().catch(() => {/* listener closed */});

  return {
    url: `nats://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    swallow(n) {
      toSwallow += n;
    },
    get swallowed() {
      return swallowed;
    },
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}
