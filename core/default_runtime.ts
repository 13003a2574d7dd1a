/**
 * The runtime the entry points install, so the core stays free of runtime globals.
 *
 * @module
 */

import type { Runtime } from "../runtime/types.ts";

let installed: Runtime | undefined;

/**
 * Install the sockets servers and clients use when their options name none.
 * The `server.ts`, `client.ts` and browser entry points call this on import.
 *
 * @param runtime The runtime's sockets.
 */
export function setDefaultRuntime(runtime: Runtime): void {
  installed = runtime;
}

/**
 * The installed runtime.
 *
 * @throws {TypeError} When no entry point installed one.
 */
export function defaultRuntime(): Runtime {
  if (!installed) {
    throw new TypeError(
      "Cannot open sockets: no runtime installed; import from the package's server or client entry point",
    );
  }
  return installed;
}
