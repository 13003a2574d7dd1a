// Builds the npm package into dist/ with tsc 7 (.ts imports rewritten to .js, .d.ts emitted),
// then fixes the .d.ts import specifiers, which tsc leaves as ".ts".
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

rmSync("dist", { recursive: true, force: true });
const tsc = spawnSync("npx", ["--no-install", "tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}
let count = 0;
for (const path of files("dist")) {
  if (!path.endsWith(".d.ts")) continue;
  const text = readFileSync(path, "utf8");
  const fixed = text.replace(/(from\s+["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2")
    .replace(/(import\(["']\.{1,2}\/[^"']+)\.ts(["']\))/g, "$1.js$2");
  if (fixed !== text) writeFileSync(path, fixed), count++;
}
console.log(`build: dist/ written (${count} declaration files had .ts specifiers rewritten)`);
