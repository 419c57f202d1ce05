/**
 * Forwarding to vcsim. vcsim's certificate is not checked: the proxy and vcsim are both local test
 * fixtures, and the client under test meets only the proxy's certificate.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import https from "node:https";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
]);

export function forwardableHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

export interface BufferedAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export class Upstream {
  readonly agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });

  constructor(readonly origin: URL) {}

  /** Opens a request to vcsim with the client's method, path and end-to-end headers. */
  request(
    method: string,
    pathAndQuery: string,
    headers: OutgoingHttpHeaders,
  ): { req: ReturnType<typeof https.request>; response: Promise<IncomingMessage> } {
    let req: ReturnType<typeof https.request> | undefined;
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req = https.request(
        new URL(pathAndQuery, this.origin),
        { method, headers, agent: this.agent },
        resolve,
      );
      req.on("error", reject);
    });
    if (!req) throw new Error("https.request did not start");
    return { req, response };
  }

  /** A small request with its whole answer buffered: SOAP calls, which the proxy may rewrite. */
  async buffered(method: string, pathAndQuery: string, headers: OutgoingHttpHeaders, body: Buffer) {
    const { req, response } = this.request(method, pathAndQuery, {
      ...headers,
      "content-length": body.length,
    });
    req.end(body);
    const res = await response;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const answer: BufferedAnswer = {
      status: res.statusCode ?? 502,
      headers: forwardableHeaders(res.headers),
      body: Buffer.concat(chunks),
    };
    return answer;
  }

  destroy(): void {
    this.agent.destroy();
  }
}

export function sendBuffered(res: ServerResponse, answer: BufferedAnswer): void {
  const headers = { ...answer.headers };
  delete headers["content-length"];
  res.writeHead(answer.status, { ...headers, "Content-Length": answer.body.length });
  res.end(answer.body);
}

export function sendXml(res: ServerResponse, status: number, xml: string): void {
  sendBuffered(res, {
    status,
    headers: { "content-type": "text/xml; charset=utf-8" },
    body: Buffer.from(xml, "utf8"),
  });
}
