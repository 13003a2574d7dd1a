// Bundles the browser client (browser.ts) into dist/browser/game-socket.js: ESM, platform
// browser, one file with a source map. Fails when anything in the import graph is a Node
// built-in (node:*, or a bare built-in name such as "net") or the `ws` package.
// Usage: node scripts/build_browser.mjs [--outdir dir]   (also importable: buildBrowser()).
import { builtinModules } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const nodeOnly = new Set([...builtinModules, "ws"]);

/** An esbuild plugin that turns any Node-only import into a build error naming the importer. */
const noNode = {
  name: "no-node-builtins",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.replace(/^node:/, "").split("/")[0];
      if (args.path.startsWith("node:") || (nodeOnly.has(bare) && !args.path.startsWith("."))) {
        return {
          errors: [{
            text: `"${args.path}" is Node-only and cannot be in the browser bundle (imported by ${
              args.importer.replace(root, "")
            })`,
          }],
        };
      }
      return undefined;
    });
  },
};

/**
 * Build the bundle.
 *
 * @param {{ outdir?: string, minify?: boolean, entry?: string }} [options] `entry` defaults to
 *   browser.ts (tests pass another to check the guard).
 * @returns {Promise<{ file: string, bytes: number }>}
 */
export async function buildBrowser(
  { outdir = `${root}dist/browser`, minify = false, entry = `${root}browser.ts` } = {},
) {
  const outfile = `${outdir}/game-socket.js`;
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outfile,
    sourcemap: true,
    minify,
    logLevel: "silent",
    plugins: [noNode],
  });
  // Belt and braces: nothing Node-specific may survive in the output.
  const text = readFileSync(outfile, "utf8");
  const leak = text.match(
    /\bfrom\s*["']node:[^"']+["']|\brequire\(["'][^"']+["']\)|\bimport\(["']node:/,
  );
  if (leak) throw new Error(`The browser bundle still imports ${leak[0]}`);
  return { file: outfile, bytes: Buffer.byteLength(text) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf("--outdir");
  try {
    const { file, bytes } = await buildBrowser(at > 0 ? { outdir: process.argv[at + 1] } : {});
    console.log(
      `build: ${file.replace(root, "")} (${(bytes / 1024).toFixed(1)} KiB, ESM, browser)`,
    );
  } catch (error) {
    console.error(`build: the browser bundle failed\n${error.message}`);
    process.exit(1);
  }
}
