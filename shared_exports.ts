/**
 * What the server and client entry points both export: errors, event types,
 * schemas, and the types their public signatures mention.
 *
 * @module
 */

export * from "./core/errors.ts";
export type * from "./core/types.ts";
export type { AnyHandler, Emitter } from "./core/emitter.ts";
export type { AckCallback } from "./core/acks.ts";
export { DEFAULT_LIMITS } from "./core/limits.ts";
export type { Limits } from "./core/limits.ts";
export type { UdpServerStats, UdpState, UdpStats, UdpStatus } from "./core/udp_stats.ts";
export type { RateLimitName, RateWarning } from "./core/rate_limit.ts";
export { setDefaultRuntime } from "./core/default_runtime.ts";
export type {
  AcceptHandler,
  ConnectFn,
  ConnectOptions,
  Listener,
  ListenFn,
  ListenOptions,
  Runtime,
  Transport,
  TransportHandlers,
  TransportKind,
} from "./runtime/types.ts";
export type { BindUdpFn, DatagramHandler, UdpBindOptions, UdpSocket } from "./runtime/types.ts";
export type {
  HttpServerLike,
  WsAttachFn,
  WsConnectFn,
  WsConnectOptions,
  WsFetchHandler,
  WsHandlerFn,
  WsHandlerOptions,
  WsListenFn,
  WsListenOptions,
  WsMountOptions,
} from "./runtime/types.ts";
export { defineSchema } from "./protocol/schema.ts";
export type {
  FieldOptions,
  FieldSpec,
  FieldsValue,
  Infer,
  Schema,
  SchemaField,
  SchemaFields,
  SchemaOptions,
} from "./protocol/schema.ts";
export type { FieldType } from "./protocol/field_types.ts";
export { SchemaRegistry } from "./protocol/schema_registry.ts";
export type { ByteReader } from "./protocol/reader.ts";
export type { ByteWriter } from "./protocol/writer.ts";
export * from "./protocol/types.ts";
