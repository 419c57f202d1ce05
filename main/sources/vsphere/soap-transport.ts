/**
 * One SOAP round trip to /sdk: POST the envelope through the pinned agent, read the answer (bounded
 * in size and time), parse it and turn a SOAP fault into its mapped error. Knows nothing of
 * sessions beyond carrying the cookie both ways.
 */
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { CancelledError, SnapferryError } from "../../common/errors.js";
import { TOOL_VERSION } from "../../common/version.js";
import { networkError } from "./network-errors.js";
import type { PinnedAgent } from "./pinned-tls.js";
import { child, MAX_RESPONSE_BYTES, parseXml, tooLarge, type XmlNode } from "./soap-xml.js";
import { faultFromSoap, type FaultContext } from "./vim-faults.js";
import { VsphereProtocolError, VsphereTimeoutError } from "./vsphere-errors.js";

export const SESSION_COOKIE = "vmware_soap_session";
export const USER_AGENT = `snapferry/${TOOL_VERSION}`;

export interface SoapRequest {
  agent: PinnedAgent;
  /** The vim method, for error messages. */
  method: string;
  envelope: string;
  soapAction: string;
  /** "vmware_soap_session=..." to send, if a session exists. */
  cookie: string | undefined;
  timeoutMs: number;
  signal?: AbortSignal;
  faultContext: FaultContext;
}

export interface SoapAnswer {
  /** The element inside soapenv:Body: "<method>Response". */
  response: XmlNode;
  /** The session cookie the server set with this answer, as "name=value". */
  setCookie: string | undefined;
}

/** Sends one request; resolves with the parsed answer or rejects with a mapped SnapferryError. */
export async function postSoap(request: SoapRequest): Promise<SoapAnswer> {
  const { status, headers, body } = await exchange(request);
  const server = request.faultContext.server;
  if (status !== 200 && status !== 500) {
    throw new VsphereProtocolError(
      `${server} answered HTTP ${status} to ${request.method}`,
      status === 503
        ? "The vSphere services on the host may be starting or stopped; try again in a few minutes."
        : "Check that the address points at an ESXi host or a vCenter Server (its /sdk endpoint).",
    );
  }
  const soapBody = child(parseXml(body, server), "Body");
  const content = soapBody?.children[0];
  if (!content) throw new VsphereProtocolError(`malformed answer from ${server}: Envelope/Body is empty`);
  if (content.name === "Fault") throw faultFromSoap(content, request.faultContext);
  return { response: content, setCookie: sessionCookie(headers["set-cookie"]) };
}

export function sessionCookie(setCookie: string[] | undefined): string | undefined {
  const header = setCookie?.find((h) => h.trimStart().startsWith(`${SESSION_COOKIE}=`));
  return header?.split(";")[0]?.trim();
}

interface RawAnswer {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

function exchange(request: SoapRequest): Promise<RawAnswer> {
  const { agent } = request;
  const { host, port } = agent.server;
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = https.request({
      agent,
      host,
      port,
      method: "POST",
      path: "/sdk",
      headers: {
        "Content-Type": 'text/xml; charset="utf-8"',
        SOAPAction: request.soapAction,
        "User-Agent": USER_AGENT,
        ...(request.cookie ? { Cookie: request.cookie } : {}),
      },
      signal: request.signal,
    });
    const timer = setTimeout(() => req.destroy(callTimeout(request)), request.timeoutMs);
    const fail = (err: unknown): void => {
      clearTimeout(timer);
      reject(explainRequestError(err, request));
    };
    req.on("error", fail);
    req.on("response", (res) => {
      readBounded(res, request.faultContext.server).then((body) => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      }, fail);
    });
    req.end(request.envelope);
  });
}

function readBounded(res: IncomingMessage, server: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    res.on("data", (part: Buffer) => {
      size += part.length;
      if (size > MAX_RESPONSE_BYTES) res.destroy(tooLarge(server));
      else parts.push(part);
    });
    res.on("error", reject);
    res.on("aborted", () => reject(Object.assign(new Error("aborted"), { code: "ECONNRESET" })));
    res.on("end", () => resolve(Buffer.concat(parts)));
  });
}

function callTimeout(request: SoapRequest): VsphereTimeoutError {
  return new VsphereTimeoutError(
    `${request.faultContext.server} did not answer ${request.method} within ${Math.round(request.timeoutMs / 1000)} s`,
    "The host may be overloaded or the network slow; try again, or raise the timeout.",
  );
}

export function explainRequestError(
  err: unknown,
  request: { agent: PinnedAgent; method: string },
): SnapferryError {
  if (err instanceof SnapferryError) return err;
  if (err instanceof Error && err.name === "AbortError") return new CancelledError(request.method);
  return networkError(err, request.agent.server.host, request.agent.server.port);
}
