/**
 * Bytes on the wire, counted by a TCP proxy between the client and the
 * server: TCP payload bytes in each direction (IP and TCP headers excluded),
 * so WebSocket framing, HTTP upgrades and every protocol's own overhead count.
 *
 * @module
 */

import * as net from "node:net";
import { type ClientKind, connectClient } from "./clients.ts";

/** Bytes each way. */
export interface Traffic {
  /** Client to server. */
  up: number;
  /** Server to client. */
  down: number;
}

/** Result of {@linkcode measureBytes}. */
export interface BytesResult {
  /** From the TCP connect until the client can send (handshakes, namespace connect). */
  connect: Traffic;
  /** Joining the room: request and confirmation. */
  join: Traffic;
  /** One position update (one echo: the update up, the same update down). */
  message: Traffic;
  /** Per update over 100 echoes in a row: the update plus what the protocol adds now and then (acks). */
  stream: Traffic;
}

interface Proxy {
  port: number;
  traffic: Traffic;
  close(): void;
}

function startProxy(host: string, port: number): Promise<Proxy> {
  const traffic: Traffic = { up: 0, down: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => (client.destroy(), upstream.destroy()));
    }
    client.on("data", (d) => (traffic.up += d.length, upstream.write(d)));
    upstream.on("data", (d) => (traffic.down += d.length, client.write(d)));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        traffic,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    });
  });
}

const settle = () => new Promise((r) => setTimeout(r, 100));

function take(traffic: Traffic, per = 1): Traffic {
  const out = { up: traffic.up / per, down: traffic.down / per };
  traffic.up = traffic.down = 0;
  return out;
}

/**
 * Connect through the counting proxy, join the room, echo one update, then 100.
 *
 * @param kind The contender's client.
 * @param url The server's address.
 */
export async function measureBytes(kind: ClientKind, url: string): Promise<BytesResult> {
  const target = new URL(url);
  const proxy = await startProxy(target.hostname, Number(target.port));
  try {
    target.port = String(proxy.port);
    const client = await connectClient(kind, target.href.replace(/\/$/, ""));
    await settle();
    const connect = take(proxy.traffic);
    await client.join();
    await settle();
    const join = take(proxy.traffic);
    const echo = () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("Timed out: bytes echo")), 5000);
        client.onMove = () => (clearTimeout(timer), resolve());
        client.echo();
      });
    await echo();
    await settle();
    const message = take(proxy.traffic);
    const count = 100;
    for (let i = 0; i < count; i++) await echo();
    await settle();
    const stream = take(proxy.traffic, count);
    client.close();
    return { connect, join, message, stream };
  } finally {
    proxy.close();
  }
}
