/**
 * The server's answer to a WebSocket upgrade request (RFC 6455 section 4.2):
 * 101 with the accept hash when the request is a valid version-13 upgrade,
 * else the HTTP error a client library reports (400, 405, 426).
 *
 * @module
 */

import { createHash } from "node:crypto";

/** The GUID RFC 6455 appends to the client's key. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Base64 of 16 bytes: 22 characters and "==" (the check `ws` makes). */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** An HTTP token (RFC 7230), what a subprotocol name is. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Header checks by regular expression: no trimmed, lower-cased or split copies per request.
const WEBSOCKET = /^\s*websocket\s*$/i;
const HAS_UPGRADE = /(?:^|,)\s*upgrade\s*(?:,|$)/i;
const VERSION_13 = /^\s*13\s*$/;

/** What `upgradeAnswer` needs of a request (a `node:http` `IncomingMessage` fits). */
export interface UpgradeRequest {
  /** The HTTP method. */
  readonly method?: string | undefined;
  /** Headers, lower-cased names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The answer to write: `status` 101 means the socket now speaks WebSocket. */
export interface UpgradeAnswer {
  /** 101, 400, 405 or 426. */
  readonly status: number;
  /** The whole HTTP response (status line, headers, and a body for a refusal). */
  readonly response: string;
}

/**
 * `Sec-WebSocket-Accept` for a client's key.
 *
 * @param key The `Sec-WebSocket-Key` header.
 * @returns base64(sha1(key + GUID)).
 */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

function refusal(status: number, reason: string, message: string, extra = ""): UpgradeAnswer {
  const body = `${message}\n`;
  return {
    status,
    response: `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${extra}` +
      `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  };
}

function header(request: UpgradeRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * Judge an upgrade request and build the response. No extension is ever
 * agreed (permessage-deflate offers are ignored); the first subprotocol the
 * client offers is accepted, as the `ws` package does by default.
 *
 * @param request The request's method and headers.
 * @returns The status and the response text.
 */
export function upgradeAnswer(request: UpgradeRequest): UpgradeAnswer {
  if (request.method !== "GET") {
    return refusal(405, "Method Not Allowed", "A WebSocket upgrade must be a GET request");
  }
  if (!WEBSOCKET.test(header(request, "upgrade") ?? "")) {
    return refusal(400, "Bad Request", "Missing or invalid Upgrade header");
  }
  if (!HAS_UPGRADE.test(header(request, "connection") ?? "")) {
    return refusal(400, "Bad Request", "Missing or invalid Connection header");
  }
  if (!VERSION_13.test(header(request, "sec-websocket-version") ?? "")) {
    return refusal(
      426,
      "Upgrade Required",
      "Only WebSocket version 13 is supported",
      "Sec-WebSocket-Version: 13\r\n",
    );
  }
  const key = header(request, "sec-websocket-key");
  if (key === undefined || !KEY.test(key)) {
    return refusal(400, "Bad Request", "Missing or invalid Sec-WebSocket-Key header");
  }
  let protocol = "";
  const offered = header(request, "sec-websocket-protocol");
  if (offered !== undefined) {
    const names = offered.split(",").map((name) => name.trim());
    if (!names.every((name) => TOKEN.test(name)) || new Set(names).size !== names.length) {
      return refusal(400, "Bad Request", "Invalid Sec-WebSocket-Protocol header");
    }
    protocol = `Sec-WebSocket-Protocol: ${names[0]}\r\n`;
  }
  return {
    status: 101,
    response: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n${protocol}\r\n`,
  };
}
