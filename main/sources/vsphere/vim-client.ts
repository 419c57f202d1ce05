/**
 * A logged-in vim25 session with one ESXi host or vCenter. It pins TLS, keeps the session cookie,
 * keeps the session alive, logs in again once when the server says the session ended, and logs out
 * on close. The password lives only in this object (never in an error, a log or argv), for as long
 * as re-login may need it.
 */
import type { IncomingMessage } from "node:http";
import { SnapferryError } from "../../common/errors.js";
import { serverLabel } from "./network-errors.js";
import { PinnedAgent } from "./pinned-tls.js";
import { parseServiceContent, SERVICE_INSTANCE, type ServiceContent } from "./service-content.js";
import { sendHttp, type HttpRequestOptions } from "./session-http.js";
import { buildEnvelope, type MethodArguments } from "./soap-envelope.js";
import { postSoap } from "./soap-transport.js";
import { child, children, requireChild, requireText, type XmlNode } from "./soap-xml.js";
import { parseThumbprint } from "./thumbprint.js";
import type { FaultContext } from "./vim-faults.js";
import { isVimFault } from "./vsphere-errors.js";

export interface VimConnectOptions {
  host: string;
  /** 443 unless given. */
  port?: number;
  /** The accepted SHA-256 thumbprint; undefined refuses with tls-unknown-certificate, showing it. */
  thumbprint: string | undefined;
  username: string;
  password: string;
  /** Bound on each call (default 120 s). */
  timeoutMs?: number;
  /** How often the session is touched so the server does not expire it (default 10 min). */
  keepAliveMs?: number;
}

export interface InvokeOptions {
  /** Overrides the client's per-call timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Checks an answer inside the re-login scope: a property collector reports an ended session as
   * missing properties rather than as a fault, so it throws the NotAuthenticated fault from here.
   */
  validate?: (response: XmlNode) => void;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_KEEPALIVE_MS = 10 * 60_000;
const LOGOUT_TIMEOUT_MS = 5_000;
const MAX_CONNECT_TIMEOUT_MS = 30_000;
/** Understood by every vim25 server Snapferry supports; used only until `about` names the real version. */
const BOOTSTRAP_API_VERSION = "6.0";

export class VimClient {
  readonly server: string;
  #serviceContent: ServiceContent | undefined;
  #password: string | undefined;
  #cookie: string | undefined;
  #generation = 0;
  #relogin: Promise<void> | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #closed = false;
  #sessionKey: string | undefined;

  private constructor(
    private readonly agent: PinnedAgent,
    readonly username: string,
    password: string,
    private readonly timeoutMs: number,
  ) {
    this.server = serverLabel(agent.server.host, agent.server.port);
    this.#password = password;
  }

  /** Pins TLS, reads the service content and logs in. */
  static async connect(options: VimConnectOptions): Promise<VimClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const agent = new PinnedAgent({
      host: options.host,
      port: options.port ?? 443,
      thumbprint: options.thumbprint === undefined ? undefined : parseThumbprint(options.thumbprint),
      connectTimeoutMs: Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS),
    });
    const client = new VimClient(agent, options.username, options.password, timeoutMs);
    try {
      const content = await client.send("RetrieveServiceContent", { _this: SERVICE_INSTANCE }, {});
      client.#serviceContent = parseServiceContent(
        requireChild(content, "returnval", client.server),
        client.server,
      );
      await client.login();
    } catch (err) {
      client.forget();
      throw err;
    }
    client.startKeepAlive(options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS);
    return client;
  }

  get host(): string {
    return this.agent.server.host;
  }

  get port(): number {
    return this.agent.server.port;
  }

  get serviceContent(): ServiceContent {
    if (!this.#serviceContent) throw new SnapferryError("internal", "the service content was not read yet");
    return this.#serviceContent;
  }

  /** The key of the current session (it changes on re-login). */
  get sessionKey(): string | undefined {
    return this.#sessionKey;
  }

  /** Names the server, the method and the user in mapped faults. */
  faultContext(method?: string): FaultContext {
    return { server: this.server, method, user: this.username };
  }

  /**
   * Calls a vim method and returns its "<method>Response" element. When the server says the session
   * ended, logs in again once and repeats the call once.
   */
  async invoke(method: string, args: MethodArguments, options: InvokeOptions = {}): Promise<XmlNode> {
    const generation = this.#generation;
    try {
      return await this.send(method, args, options);
    } catch (err) {
      if (!isVimFault(err, "NotAuthenticated") || method === "Login" || method === "Logout") throw err;
      await this.reloginAfter(generation);
      return this.send(method, args, options);
    }
  }

  /** A request beside /sdk (datastore /folder) with the session cookie, through the pinned agent. */
  async httpRequest(
    method: string,
    pathAndQuery: string,
    options: HttpRequestOptions = {},
  ): Promise<IncomingMessage> {
    this.assertOpen(method);
    const generation = this.#generation;
    const send = (): Promise<IncomingMessage> =>
      sendHttp({
        ...options,
        agent: this.agent,
        method,
        pathAndQuery,
        cookie: this.#cookie,
        idleTimeoutMs: options.idleTimeoutMs ?? this.timeoutMs,
      });
    const response = await send();
    // A stream body cannot be sent twice: only bodiless or Buffer requests are retried after re-login.
    const resendable = options.body === undefined || Buffer.isBuffer(options.body);
    if (response.statusCode !== 401 || !resendable) return response;
    response.resume();
    await this.reloginAfter(generation);
    return send();
  }

  /** Logs out (best effort, briefly bounded) and closes every connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#cookie && this.#serviceContent) {
      const logout = { _this: this.#serviceContent.sessionManager };
      await this.send("Logout", logout, { timeoutMs: LOGOUT_TIMEOUT_MS }).catch(() => undefined);
    }
    this.forget();
  }

  /**
   * vCenter's REST API (where tags live; vim25 has none) over the same pinned connection, logged
   * in with the same credentials: the Authorization header of its session login.
   */
  restAccess(): { agent: PinnedAgent; host: string; port: number; basicAuth: string } {
    this.assertOpen("the REST API");
    const password = this.#password;
    if (password === undefined) throw new SnapferryError("internal", "no credentials to log in with");
    const basicAuth = `Basic ${Buffer.from(`${this.username}:${password}`).toString("base64")}`;
    return { agent: this.agent, host: this.agent.server.host, port: this.agent.server.port, basicAuth };
  }

  private forget(): void {
    this.#closed = true;
    this.#password = undefined;
    this.#cookie = undefined;
    clearInterval(this.#keepAlive);
    this.agent.destroy();
  }

  private assertOpen(method: string): void {
    if (this.#closed) {
      throw new SnapferryError(
        "internal",
        `${method} was called after the connection to ${this.server} was closed`,
      );
    }
  }

  private async send(method: string, args: MethodArguments, options: InvokeOptions): Promise<XmlNode> {
    this.assertOpen(method);
    const answer = await postSoap({
      agent: this.agent,
      method,
      envelope: buildEnvelope(method, args),
      soapAction: `urn:vim25/${this.#serviceContent?.about.apiVersion ?? BOOTSTRAP_API_VERSION}`,
      cookie: this.#cookie,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      signal: options.signal,
      faultContext: this.faultContext(method),
    });
    if (answer.setCookie) this.#cookie = answer.setCookie;
    options.validate?.(answer.response);
    return answer.response;
  }

  private async login(): Promise<void> {
    const password = this.#password;
    if (password === undefined) throw new SnapferryError("internal", "no credentials to log in with");
    // A stale cookie makes some servers refuse Login; the session it named is gone anyway.
    this.#cookie = undefined;
    const response = await this.send(
      "Login",
      { _this: this.serviceContent.sessionManager, userName: this.username, password },
      {},
    );
    this.#sessionKey = requireText(response, "returnval/key", this.server);
    this.#generation += 1;
  }

  /** Logs in again unless another call already did since `generation`; concurrent callers share one login. */
  private async reloginAfter(generation: number): Promise<void> {
    if (this.#generation !== generation) return;
    this.#relogin ??= this.login().finally(() => (this.#relogin = undefined));
    await this.#relogin;
  }

  private startKeepAlive(intervalMs: number): void {
    // A failed keep-alive is harmless: the next real call logs in again if the session is gone.
    this.#keepAlive = setInterval(() => {
      this.invoke("CurrentTime", { _this: SERVICE_INSTANCE }).catch(() => undefined);
    }, intervalMs);
    this.#keepAlive.unref();
  }
}

/** The first returnval of a response, if any (vim omits it for an empty result). */
export function returnval(response: XmlNode): XmlNode | undefined {
  return child(response, "returnval");
}

/** Every returnval of a response: a method returning an array repeats the element. */
export function returnvals(response: XmlNode): XmlNode[] {
  return children(response, "returnval");
}

export function requireReturnval(response: XmlNode, server: string): XmlNode {
  return requireChild(response, "returnval", server);
}
