// The browser client in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): the lobby page of examples/browser/ connects over WebSocket, joins the lobby,
// and exchanges events and acks with a TCP client of the same server. A screenshot of the page
// goes to artifacts/. Runs under node, deno and bun (playwright-core works on all three), so the
// server side is each runtime's.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { GameSocketServer } from "../server.ts";
import { GameSocketClient } from "../client.ts";
import { runtimeName } from "../runtime/auto.ts";
import { buildBrowser } from "../scripts/build_browser.mjs";
import { serveBrowserDemo } from "../examples/browser/serve.ts";
import { next, until } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];
const artifacts = new URL("../artifacts/", import.meta.url).pathname;

describe("browser bundle", () => {
  it("has no Node built-in, and the build fails when one sneaks into the import graph", async () => {
    const dir = mkdtempSync(join(tmpdir(), "game-socket-bundle-"));
    try {
      const { file } = await buildBrowser({ outdir: dir });
      const text = readFileSync(file, "utf8");
      assert.doesNotMatch(text, /from\s*["']node:|require\(/);
      assert.match(text, /export\s*\{[^}]*GameSocketClient/);
      const entry = join(dir, "sneaky.ts");
      // The server runtime in a browser bundle: node:net and friends must be refused.
      const auto = new URL("../runtime/auto.ts", import.meta.url).pathname;
      writeFileSync(entry, `export * from ${JSON.stringify(auto)};\n`);
      await assert.rejects(
        buildBrowser({ outdir: join(dir, "out"), entry }),
        /is Node-only and cannot be in the browser bundle/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(`browser client in headless Chromium (server on ${runtimeName()})`, {
  skip: !existsSync(CHROMIUM) && `${CHROMIUM} is missing (apt-get install chromium)`,
}, () => {
  let bundleDir = "";
  before(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), "game-socket-browser-"));
    await buildBrowser({ outdir: bundleDir });
  });
  after(() => rmSync(bundleDir, { recursive: true, force: true }));

  it("the lobby page joins over WebSocket and trades events and acks with a TCP client", {
    timeout: 60_000,
  }, async () => {
    const server = new GameSocketServer();
    server.of("/home").on("connection", (socket) => {
      socket.on("hello", (text, ack) => {
        socket.to("lobby").emit("hello", text);
        ack?.("ok");
      });
      // Ask everyone else in the lobby, and answer with their replies (acks both ways).
      socket.on("quiz", (question, ack) => {
        socket.to("lobby").timeout(5_000).emit(
          "quiz",
          question,
          (_error, replies) => ack?.(replies),
        );
      });
    });
    const { tcp } = await server.listen({ tcp: 0, hostname: "127.0.0.1" });
    const page = await serveBrowserDemo(server, { port: 0, bundleDir });
    const tcpClient = await GameSocketClient.connect(`tcp://127.0.0.1:${tcp}`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const lobby = tcpClient.of("/home");
      await lobby.join("lobby");
      const tab = await browser.newPage({ viewport: { width: 720, height: 520 } });
      const errors: string[] = [];
      tab.on("pageerror", (error) => errors.push(error.message));
      await tab.goto(page.url);
      await tab.waitForSelector('#status[data-state="joined"]', { timeout: 15_000 });
      assert.match(await tab.textContent("#status") ?? "", /Joined the lobby as .* over ws/);
      await until(() => server.sessions.size === 2, 5_000, "the page's session");
      const kinds = [...server.sessions].map((s) => s.transport.kind).sort();
      assert.deepEqual(kinds, ["tcp", "ws"]);

      // TCP -> browser: a broadcast in the room shows on the page.
      lobby.emit("hello", "hi from tcp");
      await tab.waitForSelector('#log li:text-is("hi from tcp")', { timeout: 10_000 });

      // Browser -> TCP: the page sends a hello with an ack; the TCP client hears it.
      const heard = next<[string]>(lobby, "hello", 10_000);
      await tab.fill("#text", "hi from chromium");
      await tab.click("#send");
      assert.deepEqual(await heard, ["hi from chromium"]);
      await tab.waitForSelector('#log li.ack:text-is("server acked: \\"ok\\"")', {
        timeout: 10_000,
      });

      // TCP -> server -> browser -> back: the page answers a quiz through an ack.
      await tab.evaluate(() => {
        const home = (globalThis as unknown as {
          lobby: {
            home: { on(e: string, f: (q: string, ack: (a: string) => void) => void): void };
          };
        }).lobby.home;
        home.on("quiz", (q, ack) => ack(`chromium says ${q} is 4`));
      });
      const replies = await lobby.emitWithAck("quiz", "2+2", { timeout: 10_000 });
      assert.deepEqual(replies, ["chromium says 2+2 is 4"]);

      mkdirSync(artifacts, { recursive: true });
      const shot = join(artifacts, `browser-lobby-${runtimeName()}.png`);
      await tab.screenshot({ path: shot, fullPage: true });
      assert.ok(existsSync(shot));
      assert.deepEqual(errors, [], "no uncaught errors in the page");

      // The server's shutdown reaches the page with its reason.
      await server.close();
      await tab.waitForSelector('#status[data-state="closed"]', { timeout: 10_000 });
      assert.match(await tab.textContent("#status") ?? "", /server-shutdown/);
    } finally {
      await browser.close();
      tcpClient.close();
      await server.close();
      await page.close();
    }
  });
});
