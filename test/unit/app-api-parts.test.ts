/**
 * The small parts of the app API that have logic of their own: the progress throttle, the event
 * hub, how errors cross the doors, and the Date-free shape of what crosses them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AppEvent } from "../../preload/contract.js";
import { SnapferryError } from "../../main/common/errors.js";
import type { ProgressEvent } from "../../main/engines/progress.js";
import { DetailedError, INTERNAL_MESSAGE, runErrorText, toApiError } from "../../main/services/app-errors.js";
import { EventHub } from "../../main/services/app-events.js";
import { toWire } from "../../main/services/app-wire.js";
import { ProgressThrottle } from "../../main/services/progress-throttle.js";
import { TlsUnknownCertificateError } from "../../main/sources/vsphere/vsphere-errors.js";

function progress(done: number, final = false): ProgressEvent {
  return {
    operation: "backup",
    bytesTotal: 100,
    bytesDone: done,
    bytesRead: done,
    bytesNew: 0,
    bytesStored: 0,
    bytesPerSecond: 0,
    etaSeconds: null,
    disk: null,
    final,
  };
}

describe("the progress throttle", () => {
  it("sends at most one event per interval, the newest, and never drops the last", async () => {
    let now = 1000;
    const sent: number[] = [];
    const throttle = new ProgressThrottle(
      100,
      (e) => sent.push(e.bytesDone),
      () => now,
    );
    throttle.push(progress(1));
    now += 30;
    throttle.push(progress(2));
    now += 30;
    throttle.push(progress(3));
    assert.deepEqual(sent, [1], "the first goes out at once, the next wait");
    now += 50;
    throttle.push(progress(4));
    assert.deepEqual(sent, [1, 4], "after the interval the newest goes out; 2 and 3 were superseded");
    now += 10;
    throttle.push(progress(5));
    throttle.flush();
    assert.deepEqual(sent, [1, 4, 5], "a run that ends flushes what is pending");
    throttle.push(progress(100, true));
    assert.deepEqual(sent, [1, 4, 5, 100], "the final event is never held back");
  });

  it("sends the pending event by itself when the engine goes quiet", async () => {
    const sent: number[] = [];
    const throttle = new ProgressThrottle(30, (e) => sent.push(e.bytesDone));
    throttle.push(progress(1));
    throttle.push(progress(2));
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(sent, [1, 2]);
  });
});

describe("the event hub", () => {
  it("delivers to every listener even when one throws, and unsubscribes", () => {
    const failures: unknown[] = [];
    const hub = new EventHub((err) => failures.push(err));
    const got: AppEvent[] = [];
    hub.subscribe(() => {
      throw new Error("a broken window");
    });
    const off = hub.subscribe((e) => got.push(e));
    const event: AppEvent = { type: "log", line: { runId: "r", time: "t", level: "info", message: "m" } };
    hub.emit(event);
    assert.deepEqual(got, [event]);
    assert.equal(failures.length, 1);
    off();
    hub.emit(event);
    assert.equal(got.length, 1);
    assert.equal(hub.size, 1);
  });
});

describe("errors across the doors", () => {
  it("passes a SnapferryError's code, message, hint and details as data", () => {
    const logged: string[] = [];
    const plain = toApiError(new SnapferryError("disk-full", "no space", "free some"), (m) => logged.push(m));
    assert.deepEqual(plain, { code: "disk-full", message: "no space", hint: "free some" });
    const detailed = toApiError(new DetailedError("usage", "bad", undefined, { field: "path" }), (m) =>
      logged.push(m),
    );
    assert.deepEqual(detailed, { code: "usage", message: "bad", details: { field: "path" } });
    assert.deepEqual(logged, []);
  });

  it("hides a bug's detail from the user and logs it", () => {
    const logged: string[] = [];
    const error = toApiError(
      new TypeError("cannot read properties of undefined (reading 'secretSauce')"),
      (m) => logged.push(m),
    );
    assert.equal(error.code, "internal");
    assert.equal(error.message, INTERNAL_MESSAGE);
    assert.ok(!JSON.stringify(error).includes("secretSauce"));
    assert.match(logged.join("\n"), /secretSauce/);
    assert.equal(runErrorText(new TypeError("x")), INTERNAL_MESSAGE);
  });

  it("gives an unknown certificate's thumbprint and server as details, with a hint for the app", () => {
    const certificate = {
      thumbprint: "AA:BB",
      subject: "CN=esxi01",
      issuer: "CN=esxi01",
      validFrom: new Date("2026-01-01T00:00:00Z"),
      validTo: new Date("2027-01-01T00:00:00Z"),
    };
    const error = toApiError(new TlsUnknownCertificateError("esxi01:443", certificate), () => undefined);
    assert.equal(error.code, "tls-unknown-certificate");
    assert.deepEqual(error.details, {
      server: "esxi01:443",
      thumbprint: "AA:BB",
      subject: "CN=esxi01",
      issuer: "CN=esxi01",
      validFrom: "2026-01-01T00:00:00.000Z",
      validTo: "2027-01-01T00:00:00.000Z",
    });
    assert.ok(!error.hint?.includes("--accept-thumbprint"), "no CLI flag in the app's hint");
  });
});

describe("values across the doors", () => {
  it("turns Dates into ISO strings at any depth and leaves the rest alone", () => {
    const value = {
      at: new Date("2026-11-27T10:00:00Z"),
      nested: [{ createTime: new Date("2026-11-26T10:00:00Z"), depth: 3, name: "snap", none: null }],
    };
    assert.deepEqual(toWire(value), {
      at: "2026-11-27T10:00:00.000Z",
      nested: [{ createTime: "2026-11-26T10:00:00.000Z", depth: 3, name: "snap", none: null }],
    });
  });
});
