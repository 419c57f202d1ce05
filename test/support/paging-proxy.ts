/**
 * TEST-ONLY. The vcsim Debian ships ignores RetrieveOptions.maxObjects and never returns a paging
 * token, so this HTTPS proxy in front of it pages the way vCenter does: it cuts each
 * RetrievePropertiesEx answer into pages of maxObjects objects, answers ContinueRetrievePropertiesEx
 * and CancelRetrievePropertiesEx itself, forwards everything else, and records every SOAP method it
 * saw, so a test can count round trips.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { proxyCertificate } from "../vsphere/harness/proxy-cert.js";
import type { Vcsim } from "./vcsim.js";

const ENVELOPE_START =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>';
const ENVELOPE_END = "</soapenv:Body></soapenv:Envelope>";

export interface PagingProxy {
  host: string;
  port: number;
  /** SHA-256 of the proxy's certificate, to pin. */
  thumbprint: string;
  /** Every SOAP method received, in order. */
  readonly methods: string[];
  /** Objects in each page sent (first page and continuations), in order. */
  readonly pageSizes: number[];
  /** When set, ContinueRetrievePropertiesEx answers with a fault, to test abandoned paging. */
  failContinue: boolean;
  close(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

export async function startPagingProxy(sim: Vcsim): Promise<PagingProxy> {
  const certificate = proxyCertificate();
  const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  const pending = new Map<string, { objects: string[]; size: number }>();
  const methods: string[] = [];
  const pageSizes: number[] = [];
  let nextToken = 1;
  let failContinue = false;

  /** One RetrieveResult of at most `size` objects, with a token when more are left. */
  const page = (objects: string[], size: number): string => {
    let token = "";
    if (objects.length > size) {
      const name = `page-${nextToken++}`;
      pending.set(name, { objects: objects.slice(size), size });
      token = `<token>${name}</token>`;
    }
    const sent = objects.slice(0, size);
    pageSizes.push(sent.length);
    return `<returnval>${token}${sent.join("")}</returnval>`;
  };

  const firstPage = (text: string, size: number): string => {
    const start = text.indexOf("<returnval>");
    const end = text.lastIndexOf("</returnval>");
    if (start < 0 || end < 0) return text;
    const objects = text.slice(start, end).match(/<objects>[\s\S]*?<\/objects>/g) ?? [];
    return `${text.slice(0, start)}${page(objects, size)}${text.slice(end + "</returnval>".length)}`;
  };

  const answerPaging = (method: string, token: string, res: ServerResponse): void => {
    const rest = pending.get(token);
    pending.delete(token);
    res.setHeader("Content-Type", "text/xml; charset=utf-8");
    const inner = method === "ContinueRetrievePropertiesEx" && rest ? page(rest.objects, rest.size) : "";
    if (method === "ContinueRetrievePropertiesEx" && (!rest || failContinue)) {
      res.statusCode = 500;
      res.end(
        `${ENVELOPE_START}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>unknown token</faultstring>` +
          '<detail><InvalidArgumentFault xmlns="urn:vim25" xsi:type="InvalidArgument"><invalidProperty>token' +
          `</invalidProperty></InvalidArgumentFault></detail></soapenv:Fault>${ENVELOPE_END}`,
      );
      return;
    }
    res.end(
      `${ENVELOPE_START}<${method}Response xmlns="urn:vim25">${inner}</${method}Response>${ENVELOPE_END}`,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = (await readAll(req)).toString();
    const method = /<soapenv:Body><([A-Za-z_]+)/.exec(body)?.[1] ?? "";
    methods.push(method);
    if (method === "ContinueRetrievePropertiesEx" || method === "CancelRetrievePropertiesEx") {
      return answerPaging(method, /<token>([^<]*)<\/token>/.exec(body)?.[1] ?? "", res);
    }
    const upstream = await forward(sim, agent, req, body);
    const maxObjects = /<maxObjects>(\d+)<\/maxObjects>/.exec(body)?.[1];
    const text =
      method === "RetrievePropertiesEx" && maxObjects && upstream.status === 200
        ? firstPage(upstream.body, Number(maxObjects))
        : upstream.body;
    res.writeHead(upstream.status, upstream.headers);
    res.end(text);
  };

  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.statusCode = 502;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
    thumbprint: certificate.thumbprint,
    methods,
    pageSizes,
    get failContinue() {
      return failContinue;
    },
    set failContinue(value: boolean) {
      failContinue = value;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

function forward(sim: Vcsim, agent: https.Agent, req: IncomingMessage, body: string): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const name of ["content-type", "soapaction", "cookie"]) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const up = https.request(
      { host: sim.host, port: sim.port, path: req.url, method: req.method, headers, agent },
      (res) => {
        readAll(res).then((answer) => {
          const back: Record<string, string | string[]> = {
            "content-type": res.headers["content-type"] ?? "text/xml",
          };
          if (res.headers["set-cookie"]) back["set-cookie"] = res.headers["set-cookie"];
          resolve({ status: res.statusCode ?? 502, headers: back, body: answer.toString() });
        }, reject);
      },
    );
    up.on("error", reject);
    up.end(body);
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part));
  return Buffer.concat(parts);
}
