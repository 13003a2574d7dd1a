// A TCP proxy for the resume tests (node:net, which Node, Deno and Bun all provide): it sits
// between a client and the server and can cut every link mid-stream, refuse new links, or
// freeze one direction (a half-dead link that neither side sees close).
import * as net from "node:net";

/** Which way a frozen link stops carrying bytes. */
export type Direction = "to-client" | "to-server" | "both";

interface Pair {
  client: net.Socket;
  server: net.Socket;
  frozen: Direction | undefined;
}

/** A proxy on 127.0.0.1, port 0, to `127.0.0.1:target`. */
export class CutProxy {
  /** Links accepted so far (refused ones included). */
  accepted = 0;
  /** True while new links are closed at once. */
  refusing = false;
  /** Links to cut when the server first answers (its welcome): the next N accepted. */
  cutOnReply = 0;
  readonly #server: net.Server;
  readonly #target: number;
  readonly #pairs = new Set<Pair>();

  private constructor(server: net.Server, target: number) {
    this.#server = server;
    this.#target = target;
  }

  /** Listen on a free port and forward to `target`. */
  static async start(target: number): Promise<CutProxy> {
    const server = net.createServer();
    const proxy = new CutProxy(server, target);
    server.on("connection", (socket) => proxy.#accept(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  /** The proxy's port. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** The URL a client connects to. */
  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** Links open now. */
  get open(): number {
    return this.#pairs.size;
  }

  /** Cut every open link (both ends see the close), mid-stream. Returns how many. */
  cut(): number {
    const count = this.#pairs.size;
    for (const pair of [...this.#pairs]) this.#drop(pair);
    return count;
  }

  /**
   * Stop carrying bytes one way (or both) on every open link, and the client's close
   * too: the server end stays open until the server closes it.
   */
  freeze(direction: Direction): void {
    for (const pair of this.#pairs) pair.frozen = direction;
  }

  /** Stop listening and cut everything. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.accepted++;
    client.on("error", () => {});
    if (this.refusing) return void client.destroy();
    const server = net.connect(this.#target, "127.0.0.1");
    server.on("error", () => {});
    const pair: Pair = { client, server, frozen: undefined };
    const cutOnReply = this.cutOnReply > 0;
    if (cutOnReply) this.cutOnReply--;
    this.#pairs.add(pair);
    client.on("data", (data) => {
      if (pair.frozen !== "to-server" && pair.frozen !== "both") server.write(data);
    });
    server.on("data", (data) => {
      if (cutOnReply) return this.#drop(pair); // the server has the hello; its answer is lost
      if (pair.frozen !== "to-client" && pair.frozen !== "both") client.write(data);
    });
    // A frozen link is a dead path: one end closing does not reach the other.
    client.on("close", () => !pair.frozen && this.#drop(pair));
    server.on("close", () => this.#drop(pair));
  }

  #drop(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.client.destroy();
    pair.server.destroy();
  }
}
