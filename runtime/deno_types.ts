/**
 * The few `Deno` members the Deno TCP adapter uses, as local structural types,
 * so `tsc` (which has no `Deno` global) compiles the adapter. Under
 * `deno check` the real `Deno` namespace is checked against them (see the
 * `DenoMatches` assertion below), so they cannot drift.
 *
 * @module
 */

/** `Deno.NetAddr`. */
export interface DenoNetAddr {
  /** IP address. */
  readonly hostname: string;
  /** Port. */
  readonly port: number;
}

/** `Deno.TcpConn`: the members the adapter uses. */
export interface DenoTcpConn {
  /** The peer's address. */
  readonly remoteAddr: DenoNetAddr;
  /** Read into `p`; null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Write some of `p`; returns how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
  /** Send FIN (half close). */
  closeWrite(): Promise<void>;
  /** Close the connection; pending reads and writes reject. */
  close(): void;
  /** Enable or disable Nagle's algorithm. */
  setNoDelay(noDelay?: boolean): void;
}

/** `Deno.TcpListener`: the members the adapter uses. */
export interface DenoTcpListener {
  /** The bound address. */
  readonly addr: DenoNetAddr;
  /** Wait for the next connection. */
  accept(): Promise<DenoTcpConn>;
  /** Stop listening; a pending `accept()` rejects. */
  close(): void;
}

/** `Deno.listen` / `Deno.connect` options for TCP. */
export interface DenoTcpOptions {
  /** Host name or IP. */
  hostname?: string;
  /** Port. */
  port: number;
  /** Always TCP here. */
  transport?: "tcp";
}

/** The part of the `Deno` namespace the adapter uses. */
export interface DenoNamespace {
  /** `Deno.listen`. */
  listen(options: DenoTcpOptions): DenoTcpListener;
  /** `Deno.connect`. */
  connect(options: DenoTcpOptions): Promise<DenoTcpConn>;
}

// Compile-time check: under `deno check` the real `Deno` namespace must fit
// DenoNamespace; under `tsc` (no `Deno` global) this is trivially true.
type DenoMatches = typeof globalThis extends { Deno: infer D }
  ? (D extends DenoNamespace ? true : never)
  : true;
const denoMatches: DenoMatches = true;
void denoMatches;

/**
 * The `Deno` global, typed by {@linkcode DenoNamespace}. Only call this on Deno.
 *
 * @returns `globalThis.Deno`.
 */
export function denoGlobal(): DenoNamespace {
  return (globalThis as unknown as { Deno: DenoNamespace }).Deno;
}
