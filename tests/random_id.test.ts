// randomId(): the session ids and resume tokens of the server.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomId } from "../core/random_id.ts";

describe("randomId()", () => {
  it("makes distinct version 4 UUIDs, past the refill of its random pool", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = randomId();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 1000);
  });
});
