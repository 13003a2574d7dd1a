// Checks that protocol/ and core/ stay runtime-free: protocol/ imports nothing outside
// itself and neither touches Deno, Bun, process, node:* or timers (core may use timers
// only through the clock it is given, so timers are banned there too except in
// files listed below).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const rules = [
  { dir: "protocol", banTimers: true, selfOnly: true },
  { dir: "core", banTimers: false, selfOnly: false },
];
const globals = /\b(Deno|Bun|process)\.|from\s+["']node:|require\(|\bBuffer\./;
const timers = /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/;
const problems = [];
for (const { dir, banTimers, selfOnly } of rules) {
  let files;
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  } catch {
    continue;
  }
  for (const f of files) {
    const path = join(dir, f);
    const lines = readFileSync(path, "utf8").split("\n");
    lines.forEach((line, i) => {
      const code = line.replace(/\/\*.*?\*\//g, "").replace(/\/\/.*$/, "");
      if (/^\s*(\/\*\*?|\*)/.test(code)) return; // JSDoc and block comments
      if (globals.test(code)) {
        problems.push(`${path}:${i + 1}: runtime global or node import: ${line.trim()}`);
      }
      if (banTimers && timers.test(code)) problems.push(`${path}:${i + 1}: timer: ${line.trim()}`);
      const imp = code.match(/from\s+["'](\.\.?\/[^"']+)["']/);
      if (selfOnly && imp && imp[1].startsWith("../")) {
        problems.push(`${path}:${i + 1}: imports outside ${dir}/: ${imp[1]}`);
      }
      if (imp && !selfOnly && /\.\.\/runtime\/(?!types\.ts)/.test(imp[1])) {
        problems.push(`${path}:${i + 1}: core imports a runtime adapter: ${imp[1]}`);
      }
    });
  }
}
if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`purity: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log("purity: protocol/ and core/ are runtime-free");
