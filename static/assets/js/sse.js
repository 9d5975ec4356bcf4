// @ts-check
/// <reference lib="dom" />
/**
 * A Server-Sent Events parser for `fetch()` streams. EventSource cannot send an
 * Authorization header, so the API client reads the stream itself and feeds the text
 * chunks here. Pure and DOM-free so it is unit-tested under Deno.
 */

/**
 * @typedef {{ event: string, data: string, id: string | null }} SseMessage
 */

/** Incremental parser: `push(chunk)` returns the complete messages seen so far. */
export class SseParser {
  constructor() {
    this.buffer = "";
    this.event = "";
    /** @type {string[]} */
    this.data = [];
    /** @type {string | null} */
    this.lastId = null;
    /** @type {number | null} */
    this.retryMs = null;
  }

  /**
   * @param {string} chunk decoded text, may split lines or even CRLF pairs anywhere
   * @returns {SseMessage[]}
   */
  push(chunk) {
    this.buffer += chunk;
    const out = [];
    // A trailing "\r" may be the first half of "\r\n": keep it until the next chunk.
    let end = this.buffer.length;
    if (this.buffer.endsWith("\r")) end -= 1;
    let start = 0;
    for (let i = 0; i < end; i++) {
      const c = this.buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      const line = this.buffer.slice(start, i);
      if (c === "\r" && this.buffer[i + 1] === "\n") i++;
      start = i + 1;
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** @param {string} line */
  line(line) {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return null;
      }
      const msg = { event: this.event || "message", data: this.data.join("\n"), id: this.lastId };
      this.event = "";
      this.data = [];
      return msg;
    }
    if (line.startsWith(":")) return null; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }
}

/**
 * The payload of a message: parsed JSON when it is JSON, else the raw text.
 * @param {SseMessage} msg
 */
export function messageData(msg) {
  try {
    return JSON.parse(msg.data);
  } catch {
    return msg.data;
  }
}
