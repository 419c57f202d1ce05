import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InOrder } from "../../main/engines/in-order.js";

describe("InOrder (restore writes in disk order)", () => {
  it("writes in turn order even when later chunks are ready first", async () => {
    const order = new InOrder();
    const written: number[] = [];
    const delays = [30, 5, 15, 0];
    await Promise.all(
      delays.map((ms, i) => {
        const inTurn = order.turn<number>();
        return inTurn(new Promise((r) => setTimeout(() => r(i), ms)), async (n) => {
          written.push(n);
        });
      }),
    );
    assert.deepEqual(written, [0, 1, 2, 3]);
  });

  it("never leaves later chunks waiting when an earlier one fails to decode", async () => {
    const order = new InOrder();
    const written: number[] = [];
    const first = order.turn<number>()(Promise.reject(new Error("damaged chunk")), async () => undefined);
    const later = [1, 2, 3].map((n) =>
      order.turn<number>()(Promise.resolve(n), async (v) => void written.push(v)),
    );
    await assert.rejects(first, /damaged chunk/);
    // They settle (no hang), and nothing after the failure is written.
    await Promise.all(later);
    assert.deepEqual(written, []);
  });
});
