/**
 * A real SMTP server on loopback for tests of what sends mail: smtp-server with AUTH PLAIN/LOGIN
 * required for one user, no TLS (loopback only), keeping every message it takes as received.
 */
import type { EmailSettings } from "../../main/notify/email-settings.js";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  /** The authenticated user the message came in under. */
  user: string | undefined;
  raw: Buffer;
}

export interface TestSmtpServer {
  port: number;
  received: ReceivedMail[];
  /** Every login tried, accepted or not: method and user name (never the password). */
  logins: { method: string; user: string | undefined; ok: boolean }[];
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 and a free port. Plain SMTP without STARTTLS by default; with
 * `tls`, TLS from the first byte (as on port 465) with that key and certificate.
 */
export async function startSmtpServer(
  user: string,
  password: string,
  tls?: { key: Buffer; cert: Buffer },
): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const logins: TestSmtpServer["logins"] = [];
  const server = new SMTPServer({
    authMethods: ["PLAIN", "LOGIN"],
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    ...(tls ? { secure: true, key: tls.key, cert: tls.cert } : {}),
    logger: false,
    onAuth(auth, _session, callback) {
      const ok = auth.username === user && auth.password === password;
      logins.push({ method: auth.method, user: auth.username, ok });
      if (ok) callback(null, { user: auth.username });
      else callback(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === "string" ? session.user : undefined,
          raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port that nothing listens on (taken from the OS, then released). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A server that accepts connections and never says a word: an SMTP server that hangs. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Email report settings for the test server: plain SMTP to loopback, per-run reports. */
export function loopbackEmail(port: number, user = "reports"): EmailSettings {
  return {
    enabled: true,
    host: "127.0.0.1",
    port,
    security: "none",
    user,
    from: "snapferry@office.example",
    to: ["admin@office.example"],
    mode: "per-run",
  };
}
