// Shared helpers for the network tests: a server on 127.0.0.1 port 0, clients, waiting.
import { GameSocketServer, type ServerOptions } from "../server.ts";
import { type ClientOptions, GameSocketClient } from "../client.ts";

/** Start a server on a free loopback TCP port. */
export async function startServer(
  options: ServerOptions = {},
  setup: (server: GameSocketServer) => void = () => {},
): Promise<{ server: GameSocketServer; url: string; port: number }> {
  const server = new GameSocketServer(options);
  setup(server);
  const { tcp } = await server.listen({ tcp: 0, hostname: "127.0.0.1" });
  return { server, url: `tcp://127.0.0.1:${tcp}`, port: tcp! };
}

/** Connect a client. */
export function connect(url: string, options: ClientOptions = {}): Promise<GameSocketClient> {
  return GameSocketClient.connect(url, options);
}

/** Resolve with the arguments of the next `event` on `target`, or reject after `ms`. */
export function next<T extends unknown[] = unknown[]>(
  target: { once(event: string, fn: (...args: never[]) => unknown): unknown },
  event: string,
  ms = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out waiting for "${event}"`)), ms);
    target.once(
      event,
      ((...args: T) => {
        clearTimeout(timer);
        resolve(args);
      }) as never,
    );
  });
}

/** Wait until `check()` is true, polling; reject after `ms`. */
export async function until(check: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collect the payloads of an event into an array. */
export function collect<T = unknown>(
  target: { on(event: string, fn: (payload: never) => unknown): unknown },
  event: string,
): T[] {
  const out: T[] = [];
  target.on(event, ((payload: T) => out.push(payload)) as never);
  return out;
}
