// Helpers for the WebSocket tests: a raw WebSocket client (the global one, or `ws` on Node 20),
// and a hand-made handshake over node:net for what no client library will send (huge headers,
// a peer that stops reading).
import * as net from "node:net";
import { WebSocket as NodeWebSocket } from "ws";

/** What a raw client saw: binary messages and the close code and reason. */
export interface RawClient {
  ws: { send(data: Uint8Array | string): void; close(code?: number, reason?: string): void };
  messages: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Open a WebSocket with the global `WebSocket` (Deno, Bun, Node 22+) or `ws` (Node 20). */
export function rawWebSocket(url: string): Promise<RawClient> {
  const WS = (globalThis as unknown as { WebSocket?: typeof NodeWebSocket }).WebSocket ??
    NodeWebSocket;
  const ws = new WS(url);
  ws.binaryType = "arraybuffer";
  const messages: Uint8Array[] = [];
  let onClose: (value: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => onClose = resolve);
  ws.onmessage = (event) => messages.push(new Uint8Array(event.data as ArrayBuffer));
  ws.onclose = (event) => onClose({ code: event.code, reason: String(event.reason) });
  return new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error(`Cannot open ${url}`));
    ws.onopen = () => {
      ws.onerror = () => {};
      resolve({ ws, messages, closed });
    };
  });
}

/** A WebSocket handshake done by hand over node:net; `socket` then carries raw frames. */
export async function rawHandshake(port: number, path = "/"): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  );
  let head = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("No handshake response")), 5_000);
    const onData = (chunk: Uint8Array) => {
      head += new TextDecoder().decode(chunk);
      if (!head.includes("\r\n\r\n")) return;
      clearTimeout(timer);
      socket.off("data", onData);
      if (!head.startsWith("HTTP/1.1 101")) reject(new Error(`Upgrade refused: ${head}`));
      else resolve();
    };
    socket.on("data", onData);
  });
  return socket;
}

/** A masked binary frame header declaring `length` bytes (64-bit length form), no body. */
export function binaryHeader(length: number): Uint8Array {
  const header = new Uint8Array(14);
  header[0] = 0x82; // FIN, binary
  header[1] = 0x80 | 127; // masked, 64-bit length
  new DataView(header.buffer).setBigUint64(2, BigInt(length));
  header.set([1, 2, 3, 4], 10); // mask key
  return header;
}

/** Read server frames from a raw socket until a close frame; resolve with its code and reason. */
export function closeFrameOf(
  socket: net.Socket,
  ms = 5_000,
): Promise<{ code: number; reason: string }> {
  let buf = new Uint8Array(0);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("No close frame")), ms);
    const done = (value: { code: number; reason: string }) => {
      clearTimeout(timer);
      socket.off("data", onData);
      resolve(value);
    };
    const onData = (chunk: Uint8Array) => {
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      while (buf.length >= 2) {
        let len = buf[1]! & 0x7f;
        let at = 2;
        if (len === 126) [len, at] = [(buf[2]! << 8) | buf[3]!, 4];
        else if (len === 127) [len, at] = [Number(new DataView(buf.buffer).getBigUint64(2)), 10];
        if (buf.length < at + len) return;
        if ((buf[0]! & 0x0f) === 8) {
          const body = buf.subarray(at, at + len);
          const code = body.length >= 2 ? (body[0]! << 8) | body[1]! : 1005;
          return done({ code, reason: new TextDecoder().decode(body.subarray(2)) });
        }
        buf = buf.subarray(at + len);
      }
    };
    socket.on("data", onData);
    socket.once("close", () => done({ code: 1006, reason: "" }));
  });
}

/** One masked binary frame (mask key 0, so the payload goes as it is), as a client sends it. */
export function maskedFrame(payload: Uint8Array): Uint8Array {
  return clientFrame(2, payload, true, [0, 0, 0, 0]);
}

/** A masked client frame, as a browser sends it (FIN unless `fin` is false). */
export function clientFrame(
  opcode: number,
  payload: Uint8Array,
  fin = true,
  mask = [0x5a, 0x01, 0xc3, 0x7e],
): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(head + 4 + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  const view = new DataView(out.buffer);
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) (out[1] = 0x80 | 126, view.setUint16(2, n));
  else (out[1] = 0x80 | 127, view.setBigUint64(2, BigInt(n)));
  out.set(mask, head);
  for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}
