// Packs the npm build, installs the tarball in a scratch project, and runs a TCP round trip
// through the installed package from Node and from Bun (and Deno, which reads node_modules too).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(".");
const dir = mkdtempSync(join(tmpdir(), "game-socket-smoke-"));
try {
  const tgz = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], {
    encoding: "utf8",
  }).trim().split("\n").pop();
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "smoke", type: "module", private: true }),
  );
  execFileSync("npm", ["install", "--silent", "--no-audit", "--no-fund", join(dir, tgz)], {
    cwd: dir,
    stdio: "inherit",
  });
  writeFileSync(
    join(dir, "use.mjs"),
    `
import { GameSocketServer } from "@x/game-socket/server";
import { GameSocketClient } from "@x/game-socket/client";
import { defineSchema } from "@x/game-socket";
const Move = defineSchema(2, { id: "uint16", x: "float32" });
const server = new GameSocketServer();
server.of("/home").on("connection", (s) => s.on("hi", (t, ack) => ack(t + " back")));
const { tcp } = await server.listen({ tcp: 0 });
const client = await GameSocketClient.connect("tcp://127.0.0.1:" + tcp);
const reply = await client.of("/home").emitWithAck("hi", "hello");
console.log("smoke:", reply, Move.encode({ id: 1, x: 2 }).length, "bytes");
client.close();
await server.close();
`,
  );
  const runs = [
    ["node", [process.execPath, ["use.mjs"]]],
    ["bun", [join(root, "node_modules/.bin/bun"), ["use.mjs"]]],
    ["deno", [join(root, "node_modules/.bin/deno"), ["run", "-A", "use.mjs"]]],
  ];
  let failed = 0;
  for (const [name, [cmd, args]] of runs) {
    // Deno colours console.log numbers whenever FORCE_COLOR exists, whatever its value.
    const env = { ...process.env, NO_COLOR: "1" };
    delete env.FORCE_COLOR;
    const r = spawnSync(cmd, args, { cwd: dir, encoding: "utf8", timeout: 60_000, env });
    const out = r.stdout ?? "";
    const ok = r.status === 0 && out.includes("smoke: hello back 6 bytes");
    console.log(`smoke ${name}: ${ok ? "ok" : "FAILED"} ${out.trim()} ${ok ? "" : r.stderr}`);
    if (!ok) failed++;
  }
  process.exit(failed ? 1 : 0);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
