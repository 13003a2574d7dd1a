/**
 * A small typed event emitter whose handlers cannot break the emitter.
 *
 * @module
 */

/** Any event handler. */
// deno-lint-ignore no-explicit-any
export type AnyHandler = (...args: any[]) => unknown;

/**
 * Event emitter. A handler that throws (or returns a rejected promise) is
 * reported to `onHandlerError` and never stops the other handlers. Adding or
 * removing handlers during an emit affects the next emit only.
 */
export class Emitter {
  /** Made with the first handler: an empty map was ~180 bytes of every idle server socket. */
  #handlers: Map<string, AnyHandler[]> | undefined;
  /** Called when a handler throws; set by the owner. */
  protected onHandlerError(error: unknown, event: string): void {
    queueMicrotask(() => {
      throw error instanceof Error ? error : new Error(`Handler of "${event}" threw ${error}`);
    });
  }

  /** Add a handler. */
  protected addHandler(event: string, handler: AnyHandler): void {
    this.#handlers ??= new Map();
    const list = this.#handlers.get(event);
    // Copy on write: an emit in progress keeps iterating over its own array.
    this.#handlers.set(event, list ? [...list, handler] : [handler]);
  }

  /** Add a handler that runs once. */
  protected addOnceHandler(event: string, handler: AnyHandler): void {
    const once = (...args: unknown[]) => {
      this.removeHandler(event, handler);
      return handler(...args);
    };
    (once as { original?: AnyHandler }).original = handler;
    this.addHandler(event, once);
  }

  /** Remove one handler (the last added copy), or all of the event's when none is given. */
  protected removeHandler(event: string, handler?: AnyHandler): void {
    if (!handler) {
      this.#handlers?.delete(event);
      return;
    }
    const list = this.#handlers?.get(event);
    if (!list) return;
    for (let i = list.length - 1; i >= 0; i--) {
      const h = list[i]!;
      if (h === handler || (h as { original?: AnyHandler }).original === handler) {
        const next = list.slice(0, i).concat(list.slice(i + 1));
        if (next.length) this.#handlers!.set(event, next);
        else this.#handlers!.delete(event);
        return;
      }
    }
  }

  /** Remove every handler of every event. */
  protected removeAllHandlers(): void {
    this.#handlers?.clear();
  }

  /** True when the event has at least one handler. */
  hasListeners(event: string): boolean {
    return this.#handlers?.has(event) ?? false;
  }

  /** Number of handlers of an event. */
  listenerCount(event: string): number {
    return this.#handlers?.get(event)?.length ?? 0;
  }

  /**
   * Call every handler of `event` with `args`.
   *
   * @returns True when there was at least one handler.
   */
  protected dispatch(event: string, ...args: unknown[]): boolean {
    const list = this.#handlers?.get(event);
    if (!list) return false;
    for (const handler of list) {
      try {
        const result = handler(...args);
        if (result instanceof Promise) result.catch((e) => this.onHandlerError(e, event));
      } catch (error) {
        this.onHandlerError(error, event);
      }
    }
    return true;
  }
}
