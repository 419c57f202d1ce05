/**
 * The proxy's own self-signed certificate, as an ESXi host has one: generated with openssl once and
 * cached under tmp/ (renewed before it expires) so test runs do not pay for RSA key generation, or
 * fresh on request for tests about a changed certificate.
 */
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "../../support/tmp.js";

// Key and certificate in one file, so replacing it is one atomic rename even with concurrent test files.
const CACHE = fileURLToPath(new URL("../../../../tmp/cbt-proxy-cert.pem", import.meta.url));
const RENEW_BEFORE_MS = 6 * 60 * 60 * 1000;

export interface ProxyCertificate {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, colon-separated uppercase hex, as `openssl x509 -fingerprint` prints it. */
  thumbprint: string;
}

/** A new key and certificate, as one PEM text. */
function generate(): string {
  const temp = makeTempDir("cbt-proxy-cert");
  try {
    const keyFile = path.join(temp.dir, "key.pem");
    const certFile = path.join(temp.dir, "cert.pem");
    const r = spawnSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "2"],
        ...["-keyout", keyFile, "-out", certFile],
      ],
      { encoding: "utf8" },
    );
    if (r.error || r.status !== 0) {
      throw new Error(
        `the vSphere test proxy needs openssl to make its certificate (apt-get install openssl): ${
          r.error?.message ?? r.stderr
        }`,
      );
    }
    return readFileSync(keyFile, "utf8") + readFileSync(certFile, "utf8");
  } finally {
    temp.cleanup();
  }
}

function parse(pem: string): ProxyCertificate {
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(pem)?.[0];
  if (!key || !cert) throw new Error("the cached test certificate is incomplete");
  return { cert, key, thumbprint: new X509Certificate(cert).fingerprint256 };
}

function cached(): ProxyCertificate | undefined {
  try {
    const found = parse(readFileSync(CACHE, "utf8"));
    const remaining = Date.parse(new X509Certificate(found.cert).validTo) - Date.now();
    return remaining > RENEW_BEFORE_MS ? found : undefined;
  } catch {
    return undefined;
  }
}

export function proxyCertificate(fresh = false): ProxyCertificate {
  if (fresh) return parse(generate());
  const found = cached();
  if (found) return found;
  const pem = generate();
  mkdirSync(path.dirname(CACHE), { recursive: true });
  const partial = `${CACHE}.${process.pid}.${Date.now()}`;
  writeFileSync(partial, pem, { mode: 0o600 });
  renameSync(partial, CACHE);
  return parse(pem);
}
