/**
 * Runs the codec micro-benchmark (`codec.ts`) and prints its results as one
 * JSON line, for the runner. Run: `<runtime> bench/codec_worker.ts [msPerCase]`.
 *
 * @module
 */

import process from "node:process";
import { runCodecBench } from "./codec.ts";

const ms = Number(process.argv[2] ?? 1000);
console.log(JSON.stringify({ results: await runCodecBench(ms) }));
process.exit(0);
