// Issue 4: the seed's lobby scenario runs end to end and prints what happens.
import { it } from "node:test";
import assert from "node:assert/strict";
import { runLobbyDemo } from "../examples/seed_lobby.ts";

it("the seed lobby demo delivers ana's hello to bob through the lobby broadcast", async () => {
  const lines: string[] = [];
  const demo = await runLobbyDemo({ tcp: 0, log: (line) => lines.push(line) });
  await demo.stopBots();
  await demo.server.close();
  const text = lines.join("\n");
  assert.match(text, /ana: connected to \/\n/);
  assert.match(text, /ana: connected to \/home/);
  assert.match(text, /server \/home: hello "hello all" from .*, broadcast to lobby/);
  assert.match(text, /bob: received hello "hello all"/);
  assert.ok(text.indexOf("ana: joined lobby") < text.indexOf("bob: received hello"));
});
