/**
 * The fixed newstyle handshake: greeting, client flags, then option haggling until the client
 * picks the export (NBD_OPT_GO or NBD_OPT_EXPORT_NAME) or gives up. A malformed or unknown
 * option gets an error reply and the haggling goes on; only a broken framing ends the connection.
 */
import type { Socket } from "node:net";
import * as P from "./protocol.js";
import * as R from "./replies.js";
import type { SocketReader } from "./wire.js";

/** The export as the handshake describes it. */
export interface ExportDescription {
  name: string;
  size: number;
}

/** What the client and server agreed on, for the transmission phase. */
export interface Negotiated {
  structured: boolean;
  /** base:allocation was selected with NBD_OPT_SET_META_CONTEXT. */
  allocation: boolean;
  flags: number;
}

/** Ends the handshake without serving: the client aborted or broke the protocol. */
export class HandshakeEnd extends Error {
  override readonly name = "HandshakeEnd";
}

export function transmissionFlags(structured: boolean): number {
  return (
    P.FLAG_HAS_FLAGS |
    P.FLAG_SEND_FLUSH |
    P.FLAG_SEND_FUA |
    P.FLAG_SEND_TRIM |
    P.FLAG_SEND_WRITE_ZEROES |
    // Every connection shares one overlay, and a flush on any of them syncs it all.
    P.FLAG_CAN_MULTI_CONN |
    (structured ? P.FLAG_SEND_DF : 0)
  );
}

/** Thrown by the option parsers: answered with NBD_REP_ERR_INVALID. */
class Malformed extends Error {}

/** A bounds-checked cursor over an option's payload. */
class Payload {
  private at = 0;
  constructor(private readonly data: Buffer) {}
  u16(): number {
    this.need(2);
    const v = this.data.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.data.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  text(length: number): string {
    this.need(length);
    const v = this.data.toString("utf8", this.at, this.at + length);
    this.at += length;
    return v;
  }
  end(): void {
    if (this.at !== this.data.length) throw new Malformed(`${this.data.length - this.at} bytes too many`);
  }
  private need(n: number): void {
    if (this.at + n > this.data.length) throw new Malformed("the option data is too short");
  }
}

export async function handshake(
  socket: Socket,
  reader: SocketReader,
  exp: ExportDescription,
  log: (line: string) => void,
): Promise<Negotiated> {
  const greeting = Buffer.alloc(18);
  greeting.writeBigUInt64BE(P.NBDMAGIC, 0);
  greeting.writeBigUInt64BE(P.IHAVEOPT, 8);
  greeting.writeUInt16BE(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES, 16);
  socket.write(greeting);
  const clientFlags = (await reader.read(4)).readUInt32BE(0);
  if ((clientFlags & P.FLAG_C_FIXED_NEWSTYLE) === 0 || (clientFlags & ~3) !== 0) {
    throw new HandshakeEnd(`the client sent flags ${clientFlags}; only fixed newstyle clients are served`);
  }
  const noZeroes = (clientFlags & P.FLAG_C_NO_ZEROES) !== 0;
  const state: Negotiated = { structured: false, allocation: false, flags: 0 };
  for (;;) {
    const head = await reader.read(16);
    if (head.readBigUInt64BE(0) !== P.IHAVEOPT) throw new HandshakeEnd("the client sent a bad option magic");
    const option = head.readUInt32BE(8);
    const length = head.readUInt32BE(12);
    if (length > P.MAX_OPTION_DATA) {
      if (option === P.OPT_EXPORT_NAME)
        throw new HandshakeEnd(`the client sent an export name of ${length} bytes`);
      await reader.skip(length);
      socket.write(R.optionError(option, P.REP_ERR_TOO_BIG, `option data over ${P.MAX_OPTION_DATA} bytes`));
      continue;
    }
    const data = await reader.read(length);
    if (option === P.OPT_EXPORT_NAME) {
      const name = data.toString("utf8");
      if (name !== "" && name !== exp.name)
        throw new HandshakeEnd(`the client asked for unknown export "${name}"`);
      state.flags = transmissionFlags(state.structured);
      socket.write(R.exportNameReply(exp.size, state.flags, noZeroes));
      return state;
    }
    if (option === P.OPT_ABORT) {
      socket.write(R.optionReply(option, P.REP_ACK));
      throw new HandshakeEnd("the client aborted the handshake");
    }
    try {
      if (answer(socket, option, data, exp, state)) return state;
    } catch (err) {
      if (!(err instanceof Malformed)) throw err;
      log(`option ${option} was malformed: ${err.message}`);
      socket.write(R.optionError(option, P.REP_ERR_INVALID, `malformed option: ${err.message}`));
    }
  }
}

/** Answers one option; true when the transmission phase begins (NBD_OPT_GO succeeded). */
function answer(
  socket: Socket,
  option: number,
  data: Buffer,
  exp: ExportDescription,
  state: Negotiated,
): boolean {
  const send = (type: number, payload?: Buffer): boolean =>
    socket.write(R.optionReply(option, type, payload));
  switch (option) {
    case P.OPT_LIST:
      if (data.length !== 0) throw new Malformed("NBD_OPT_LIST takes no data");
      send(P.REP_SERVER, R.lengthPrefixed(Buffer.byteLength(exp.name), exp.name));
      send(P.REP_ACK);
      return false;
    case P.OPT_STRUCTURED_REPLY:
      if (data.length !== 0) throw new Malformed("NBD_OPT_STRUCTURED_REPLY takes no data");
      state.structured = true;
      send(P.REP_ACK);
      return false;
    case P.OPT_INFO:
    case P.OPT_GO:
      return info(socket, option, data, exp, state);
    case P.OPT_LIST_META_CONTEXT:
    case P.OPT_SET_META_CONTEXT:
      metaContext(socket, option, data, exp, state);
      return false;
    case P.OPT_STARTTLS:
      socket.write(R.optionError(option, P.REP_ERR_UNSUP, "TLS is not implemented by this server"));
      return false;
    default:
      socket.write(R.optionError(option, P.REP_ERR_UNSUP, `option ${option} is not supported`));
      return false;
  }
}

/** True for "" (the default export) and the export's name; otherwise answers NBD_REP_ERR_UNKNOWN. */
function knownExport(socket: Socket, option: number, name: string, exp: ExportDescription): boolean {
  if (name === "" || name === exp.name) return true;
  socket.write(
    R.optionError(option, P.REP_ERR_UNKNOWN, `no export named "${name}"; this server has "${exp.name}"`),
  );
  return false;
}

function info(
  socket: Socket,
  option: number,
  data: Buffer,
  exp: ExportDescription,
  state: Negotiated,
): boolean {
  const p = new Payload(data);
  const name = p.text(p.u32());
  const requests: number[] = [];
  for (let n = p.u16(); n > 0; n--) requests.push(p.u16());
  p.end();
  if (!knownExport(socket, option, name, exp)) return false;
  const send = (payload: Buffer): boolean => socket.write(R.optionReply(option, P.REP_INFO, payload));
  const flags = transmissionFlags(state.structured);
  send(R.infoExport(exp.size, flags));
  if (requests.includes(P.INFO_NAME)) send(R.infoName(exp.name));
  if (requests.includes(P.INFO_BLOCK_SIZE))
    send(R.infoBlockSize(P.MIN_BLOCK, P.PREFERRED_BLOCK, P.MAX_REQUEST));
  socket.write(R.optionReply(option, P.REP_ACK));
  if (option !== P.OPT_GO) return false;
  state.flags = flags;
  return true;
}

function metaContext(
  socket: Socket,
  option: number,
  data: Buffer,
  exp: ExportDescription,
  state: Negotiated,
): void {
  const p = new Payload(data);
  const name = p.text(p.u32());
  const queries: string[] = [];
  for (let n = p.u32(); n > 0; n--) queries.push(p.text(p.u32()));
  p.end();
  const set = option === P.OPT_SET_META_CONTEXT;
  if (set && !state.structured)
    throw new Malformed("NBD_OPT_SET_META_CONTEXT needs structured replies first");
  if (!knownExport(socket, option, name, exp)) return;
  // LIST with no query lists every context; "base:" lists the namespace, which holds one.
  const matches =
    queries.some((q) => q === P.BASE_ALLOCATION || (!set && q === "base:")) || (!set && queries.length === 0);
  if (set) state.allocation = matches;
  if (matches) {
    socket.write(
      R.optionReply(option, P.REP_META_CONTEXT, R.lengthPrefixed(P.BASE_ALLOCATION_ID, P.BASE_ALLOCATION)),
    );
  }
  socket.write(R.optionReply(option, P.REP_ACK));
}
