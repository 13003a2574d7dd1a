// Runs the purity check and the whole test suite on Node, Deno and Bun, in turn.
// Exits non-zero if any of them fails; prints one summary line per runtime.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

// Node 20's --test does not expand a folder of .ts files: list them.
const testFiles = readdirSync("tests").filter((f) => f.endsWith(".test.ts")).sort().map((f) =>
  `tests/${f}`
);

const steps = [
  ["purity", "node", ["scripts/check_purity.mjs"]],
  ["node", "node", [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=1",
    "--test-timeout=120000",
    ...testFiles,
  ]],
  ["deno", "npx", ["--no-install", "deno", "test", "-A", "--no-check", "tests/"]],
  ["bun", "npx", ["--no-install", "bun", "test", "--timeout", "120000", "./tests/"]],
];
const only = process.argv.slice(2);
let failed = 0;
for (const [name, cmd, args] of steps) {
  if (only.length && !only.includes(name)) continue;
  const started = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, NO_COLOR: "1" } });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`=== ${name}: ${r.status === 0 ? "ok" : `FAILED (exit ${r.status})`} in ${secs}s`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
