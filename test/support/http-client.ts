/**
 * Raw HTTP requests for the bridge's tests: node:http rather than fetch, because the tests must
 * send what a browser would refuse to (a forged Host header, a foreign Origin).
 */
import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export function request(port: number, req: RawRequest): Promise<RawResponse> {
  return exchange(
    (onResponse) =>
      http.request(
        {
          host: "127.0.0.1",
          port,
          method: req.method ?? "GET",
          path: req.path,
          headers: { Host: `127.0.0.1:${port}`, ...req.headers },
        },
        onResponse,
      ),
    req.body,
  );
}

/**
 * Sends `body` on the request `open` makes (HTTP or HTTPS) and gathers the whole response as text.
 * `open` gets the response callback to pass on to http.request or https.request.
 */
export function exchange(
  open: (onResponse: (res: IncomingMessage) => void) => ClientRequest,
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const r = open((res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end(body);
  });
}

/**
 * Opens an event stream and resolves with the first `data:` event after `ready` ran (called once
 * the stream is open, so an event sent then cannot be missed).
 */
export function firstEvent(
  port: number,
  headers: Record<string, string>,
  ready: () => void,
  timeoutMs = 10_000,
): Promise<{ status: number; contentType: string | undefined; data: unknown }> {
  return new Promise((resolve, reject) => {
    const r = http.get(
      { host: "127.0.0.1", port, path: "/api/events", headers: { Host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = "";
        const timer = setTimeout(() => {
          r.destroy();
          reject(new Error("no event arrived"));
        }, timeoutMs);
        res.on("data", (chunk: Buffer) => {
          const first = text === "";
          text += chunk.toString("utf8");
          if (first) ready();
          const data = /^data: (.*)$/m.exec(text);
          if (data?.[1] !== undefined) {
            clearTimeout(timer);
            r.destroy();
            resolve({
              status: res.statusCode ?? 0,
              contentType: res.headers["content-type"],
              data: JSON.parse(data[1]),
            });
          }
        });
      },
    );
    // Destroying the request after the event errors it; the promise has settled by then.
    r.on("error", reject);
  });
}
