// Issue 7: churn. Hundreds of connect / join / emit / disconnect cycles (bench/churn.ts runs
// 5,000 and reports RSS); afterwards the server holds no session, socket, room or pending ack.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runChurn } from "../bench/churn.ts";

describe("churn", () => {
  it("300 connect/join/emit/disconnect cycles leave every server registry empty", async () => {
    const result = await runChurn({ cycles: 300, warmup: 20, concurrency: 20 });
    assert.equal(result.cycles, 300);
    assert.deepEqual(result.stats, {
      sessions: 0,
      transports: 0,
      addresses: 0,
      sockets: 0,
      rooms: 0,
      roomMembers: 0,
      pendingAcks: 0,
    });
  });
});
