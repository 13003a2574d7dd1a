/**
 * Counters of the UDP channel: per connection (both sides) and per server.
 *
 * @module
 */

/**
 * Counters of one connection's UDP link. Every count starts at 0 and only grows.
 *
 * A datagram is either accepted (`datagramsReceived`), or dropped whole as a
 * `duplicate` or as `invalid`; the frames of an accepted datagram are either
 * delivered (`framesReceived`) or dropped as `late`.
 */
export interface UdpStats {
  /** Datagrams handed to the runtime: data, pings, pongs and binds. */
  datagramsSent: number;
  /** Datagrams accepted from the peer (not duplicates, not invalid): data, pings, pongs. */
  datagramsReceived: number;
  /** Frames sent over UDP. */
  framesSent: number;
  /** Frames delivered to handlers from UDP. */
  framesReceived: number;
  /** Frames dropped because newer state of their channel had already arrived. */
  late: number;
  /** Data datagrams dropped as copies of one already received. */
  duplicates: number;
  /**
   * Datagrams from the peer's address dropped as malformed (truncated, unknown
   * kind, wrong tag, undecodable or forbidden frames), and frames beyond
   * 4096 channels.
   */
  invalid: number;
  /** Volatile frames too large for one datagram, sent over the stream instead. */
  oversize: number;
  /** UDP pings sent. */
  pings: number;
  /** UDP pongs received (pings minus pongs estimates the loss). */
  pongs: number;
  /** Round trip of the last UDP ping, in milliseconds (0 until the first pong). */
  rtt: number;
}

/** Counters of a server's UDP socket, for datagrams no connection owns. */
export interface UdpServerStats {
  /** Every datagram received. */
  datagramsReceived: number;
  /** Datagrams with an unknown tag, or from an address the tag is not bound to. */
  unknown: number;
  /** Datagrams too short to carry a tag. */
  invalid: number;
  /** Bind datagrams refused: wrong or expired token, or from another address than the bound one. */
  rejectedBinds: number;
  /** Bindings in force (issued tokens, bound or not); 0 once every session closed. */
  bindings: number;
}

/**
 * Whether volatile messages of a connection go over UDP.
 *
 * - `off`: no UDP (the server has none, or the client turned it off).
 * - `binding`: a token was issued and the binding is not confirmed yet.
 * - `bound`: volatile messages go over UDP.
 * - `failed`: the client gave up binding (no answer in time); the stream carries everything.
 * - `closed`: the connection closed.
 */
export type UdpState = "off" | "binding" | "bound" | "failed" | "closed";

/** The UDP side of one connection, as users see it. */
export interface UdpStatus {
  /** See {@linkcode UdpState}. Volatile sends use UDP only when `bound`. */
  readonly state: UdpState;
  /** The link's counters (a live object; copy it to keep a snapshot). */
  readonly stats: Readonly<UdpStats>;
}

/** A fresh set of zeroed link counters. */
export function newUdpStats(): UdpStats {
  return {
    datagramsSent: 0,
    datagramsReceived: 0,
    framesSent: 0,
    framesReceived: 0,
    late: 0,
    duplicates: 0,
    invalid: 0,
    oversize: 0,
    pings: 0,
    pongs: 0,
    rtt: 0,
  };
}

/** The status of a connection without UDP. */
export const UDP_OFF: UdpStatus = Object.freeze({
  state: "off",
  stats: Object.freeze(newUdpStats()),
});
