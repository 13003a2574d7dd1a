/**
 * Child processes of the runner: a contender server or a load generator on a
 * given runtime, spoken to with one JSON line per request and per reply.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";

/** A JavaScript runtime. */
export type Runtime = "node" | "bun" | "deno";

/** The repository: the first folder up from here with a package.json (this file also runs compiled, from bench/results/js/bench/). */
const root = (() => {
  let dir = new URL("..", import.meta.url);
  while (!existsSync(new URL("package.json", dir)) && dir.pathname !== "/") {
    dir = new URL("..", dir);
  }
  return dir.pathname;
})();
const bin = (name: string) => `${root}node_modules/.bin/${name}`;

/** Where {@linkcode compileForNode} writes JavaScript. */
const JS_DIR = "bench/results/js/";
let nodeRunsJs = false;

/**
 * Compile the library and the bench to JavaScript with tsc, for Node: Node
 * users run compiled JavaScript, and the tsx loader wraps every function in
 * a `__name` helper that gives each closure its own property array (about
 * 3 KiB per connection for game-socket's server, none for packages shipped
 * as JavaScript). Type errors do not stop the emit; they are reported.
 *
 * @returns False when tsc could not run; Node then uses the tsx loader.
 */
export function compileForNode(): boolean {
  const r = spawnSync(bin("tsc"), ["-p", "bench/tsconfig.bench.json"], {
    cwd: root,
    encoding: "utf8",
  });
  const errors = (r.stdout ?? "").split("\n").filter((l) => l.includes("error TS"));
  if (errors.length > 0) {
    console.error(
      `tsc: ${errors.length} type error(s), JavaScript emitted anyway; first: ${errors[0]}`,
    );
  }
  nodeRunsJs = r.status !== null && r.error === undefined;
  return nodeRunsJs;
}

/**
 * The command line that runs a TypeScript file on a runtime, with the
 * garbage collector exposed (for memory measurements). On Node it runs the
 * compiled JavaScript after {@linkcode compileForNode}, else the tsx loader.
 *
 * @param rt The runtime.
 * @param script Path relative to the repository root.
 * @param args Script arguments.
 */
export function commandFor(
  rt: Runtime,
  script: string,
  args: string[] = [],
  profile = false,
): string[] {
  const file = `${root}${script}`;
  const prof = profile ? ["--cpu-prof", `--cpu-prof-dir=${root}bench/results/prof`] : [];
  switch (rt) {
    case "node":
      return nodeRunsJs
        ? [
          process.execPath,
          ...prof,
          "--expose-gc",
          `${root}${JS_DIR}${script.replace(/\.ts$/, ".js")}`,
          ...args,
        ]
        : [process.execPath, ...prof, "--expose-gc", "--import", "tsx", file, ...args];
    case "bun":
      return [bin("bun"), ...prof, file, ...args];
    case "deno":
      return [
        bin("deno"),
        "run",
        "-A",
        "--no-check",
        ...prof,
        "--v8-flags=--expose-gc",
        file,
        ...args,
      ];
  }
}

/** A running child that answers JSON lines. */
export class Child {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  #waiter: (() => void) | undefined;
  #stderr = "";
  #exit: number | null | undefined;

  /**
   * @param name For error messages.
   * @param argv Command and arguments.
   * @param fdLimit Open-file limit to set (`ulimit -n`) before the command runs.
   */
  constructor(name: string, argv: string[], fdLimit = 0) {
    this.name = name;
    const [cmd, ...args] = fdLimit > 0
      ? ["sh", "-c", `ulimit -n ${fdLimit} 2>/dev/null; exec "$0" "$@"`, ...argv]
      : argv;
    this.#child = spawn(cmd!, args, {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      if (!line.startsWith("{")) return; // stray logs
      this.#lines.push(line);
      this.#waiter?.();
    });
    this.#child.stderr!.on("data", (d) => {
      this.#stderr = (this.#stderr + d).slice(-4000);
    });
    this.#child.on("exit", (code) => {
      this.#exit = code;
      this.#waiter?.();
    });
    this.#child.stdin!.on("error", () => {});
  }

  /** The last lines the child wrote to stderr. */
  stderrText(): string {
    return this.#stderr;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /**
   * The next JSON line, parsed.
   *
   * @param timeoutMs Reject (and kill the child) after this long.
   */
  async read<T = Record<string, unknown>>(timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#exit !== undefined) {
        throw new Error(`${this.name} exited (${this.#exit}): ${this.#stderr.trim()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.kill();
        throw new Error(`${this.name} did not answer in ${timeoutMs} ms: ${this.#stderr.trim()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => (clearTimeout(timer), resolve());
      });
      this.#waiter = undefined;
    }
    return JSON.parse(this.#lines.shift()!) as T;
  }

  /**
   * Send one line and read the answer.
   *
   * @param line A command.
   * @param timeoutMs See {@linkcode Child.read}.
   */
  request<T = Record<string, unknown>>(line: string, timeoutMs: number): Promise<T> {
    this.#child.stdin!.write(line + "\n");
    return this.read<T>(timeoutMs);
  }

  /** Ask the child to quit; kill it if it has not exited after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.#exit !== undefined) return;
    const exited = new Promise((r) => this.#child.once("exit", r));
    this.#child.stdin!.end("quit\n");
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kill the child now. */
  kill(): void {
    if (this.#exit === undefined) this.#child.kill("SIGKILL");
  }
}
