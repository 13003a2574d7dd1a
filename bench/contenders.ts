/**
 * Who runs in the benchmark: each contender is a server script on a runtime,
 * the client family that talks to it, and the raw baseline it is held against.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import type { ClientKind } from "./load/clients.ts";
import type { Runtime } from "./proc.ts";

/** One server under test. */
export interface Contender {
  /** Short id used in tables, JSON and `--only`. */
  id: string;
  /** What it is, for people. */
  label: string;
  /** Runtime of the server process. */
  runtime: Runtime;
  /** Server script and arguments. */
  server: [string, ...string[]];
  /** The client the load generator uses. */
  client: ClientKind;
  /** URL scheme the client connects with. */
  scheme: "tcp" | "ws" | "http";
  /**
   * Ids of the raw contenders on the same runtime and transport, for the ratios
   * (on Deno both raw `Deno.listen` and raw `node:net`: game-socket uses the
   * second there, and is held to the better of the two on each measure).
   */
  baseline?: string[];
  /** A row for information only (resume off): `--quick` leaves it out unless `--only` names it. */
  infoOnly?: true;
}

/** True once game-socket's server can listen for WebSocket (`listen({ ws })`). */
export function gameSocketHasWebSocket(): boolean {
  const source = readFileSync(new URL("../core/server.ts", import.meta.url), "utf8");
  return /\n\s*ws\?: number/.test(source);
}

/** Every contender, in table order. */
export function contenders(): Contender[] {
  const gs = (runtime: Runtime, transport: "tcp" | "ws", ...baseline: string[]): Contender => ({
    id: `gs-${transport}-${runtime}`,
    label: `game-socket ${transport === "tcp" ? "TCP" : "WebSocket"} (${runtime})`,
    runtime,
    server: ["bench/servers/gs.ts", transport],
    client: "gs",
    scheme: transport,
    ...(baseline.length > 0 ? { baseline } : {}),
  });
  // Resume off (`resumeWindow: 0`): shows what keeping frames for a resume costs.
  const noResume = (
    runtime: Runtime,
    transport: "tcp" | "ws",
    ...baseline: string[]
  ): Contender => ({
    id: `gs-${transport}-${runtime}-noresume`,
    label: `game-socket ${transport === "tcp" ? "TCP" : "WebSocket"}, resume off (${runtime})`,
    runtime,
    server: ["bench/servers/gs.ts", transport, "noresume"],
    client: "gs",
    scheme: transport,
    baseline,
    infoOnly: true,
  });
  const list: Contender[] = [
    gs("node", "tcp", "raw-net-node"),
    gs("bun", "tcp", "raw-bun"),
    gs("deno", "tcp", "raw-deno", "raw-net-deno"),
    noResume("node", "tcp", "raw-net-node"),
    noResume("bun", "tcp", "raw-bun"),
    noResume("deno", "tcp", "raw-deno", "raw-net-deno"),
  ];
  if (gameSocketHasWebSocket()) {
    list.push(
      gs("node", "ws", "ws-node"),
      gs("bun", "ws", "bun-ws"),
      noResume("bun", "ws", "bun-ws"),
      gs("deno", "ws"),
    );
  }
  list.push(
    {
      id: "raw-net-node",
      label: "raw node:net (node)",
      runtime: "node",
      server: ["bench/servers/raw_net.ts"],
      client: "raw-tcp",
      scheme: "tcp",
    },
    {
      id: "raw-net-deno",
      label: "raw node:net (deno)",
      runtime: "deno",
      server: ["bench/servers/raw_net.ts"],
      client: "raw-tcp",
      scheme: "tcp",
    },
    {
      id: "raw-bun",
      label: "raw Bun.listen (bun)",
      runtime: "bun",
      server: ["bench/servers/raw_bun.ts"],
      client: "raw-tcp",
      scheme: "tcp",
    },
    {
      id: "raw-deno",
      label: "raw Deno.listen (deno)",
      runtime: "deno",
      server: ["bench/servers/raw_deno.ts"],
      client: "raw-tcp",
      scheme: "tcp",
    },
    {
      id: "ws-node",
      label: "ws (node)",
      runtime: "node",
      server: ["bench/servers/ws.ts"],
      client: "ws",
      scheme: "ws",
    },
    {
      id: "bun-ws",
      label: "Bun WebSocket pub/sub (bun)",
      runtime: "bun",
      server: ["bench/servers/bun_ws.ts"],
      client: "ws",
      scheme: "ws",
    },
    {
      id: "sio-node",
      label: "socket.io 4 (node)",
      runtime: "node",
      server: ["bench/servers/sio.ts"],
      client: "sio-json",
      scheme: "http",
    },
    {
      id: "sio-msgpack-node",
      label: "socket.io 4 + msgpack (node)",
      runtime: "node",
      server: ["bench/servers/sio.ts", "msgpack"],
      client: "sio-msgpack",
      scheme: "http",
    },
  );
  return list;
}
