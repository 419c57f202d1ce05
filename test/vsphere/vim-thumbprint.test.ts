import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { UsageError } from "../../main/common/errors.js";
import {
  formatThumbprint,
  parseThumbprint,
  sameThumbprint,
  thumbprintOf,
} from "../../main/sources/vsphere/thumbprint.js";

const DIGEST = createHash("sha256").update("certificate").digest();
const CANONICAL = formatThumbprint(DIGEST);

describe("SHA-256 thumbprints", () => {
  it("are written as 32 colon-separated uppercase hex pairs, like openssl prints them", () => {
    assert.match(CANONICAL, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(thumbprintOf(Buffer.from("certificate")), CANONICAL);
  });

  it("accept user input in any case, with or without colons", () => {
    assert.equal(parseThumbprint(CANONICAL.toLowerCase()), CANONICAL);
    assert.equal(parseThumbprint(`  ${CANONICAL.replace(/:/g, "")}  `), CANONICAL);
    assert.ok(sameThumbprint(CANONICAL.toLowerCase(), CANONICAL.replace(/:/g, "")));
    assert.ok(!sameThumbprint(CANONICAL, formatThumbprint(createHash("sha256").update("other").digest())));
  });

  it("refuse wrong lengths and non-hex input, recognising a SHA-1 thumbprint", () => {
    const sha1 = formatThumbprint(createHash("sha1").update("certificate").digest());
    assert.throws(
      () => parseThumbprint(sha1),
      (err: unknown) => err instanceof UsageError && /SHA-1/.test(err.message),
    );
    for (const bad of [
      "",
      "AB:CD",
      `${CANONICAL}:00`,
      `G${CANONICAL.slice(1)}`,
      CANONICAL.replace(/:/g, "-"),
    ]) {
      assert.throws(() => parseThumbprint(bad), UsageError, bad);
    }
  });
});
