/**
 * Builders for the messages the server sends: option replies in the handshake, and simple and
 * structured replies in transmission. Each returns one Buffer, so that a message is written to
 * the socket in one piece and replies to pipelined requests never interleave mid-message.
 */
import {
  OPTION_REPLY_MAGIC,
  REPLY_TYPE_BLOCK_STATUS,
  REPLY_TYPE_ERROR,
  REPLY_TYPE_NONE,
  REPLY_TYPE_OFFSET_DATA,
  REPLY_TYPE_OFFSET_HOLE,
  SIMPLE_REPLY_MAGIC,
  STRUCTURED_REPLY_MAGIC,
} from "./protocol.js";

export function optionReply(option: number, type: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(20);
  head.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0);
  head.writeUInt32BE(option, 8);
  head.writeUInt32BE(type >>> 0, 12);
  head.writeUInt32BE(data.length, 16);
  return Buffer.concat([head, data]);
}

/** An error option reply; the message is for humans reading a client's log. */
export function optionError(option: number, type: number, message: string): Buffer {
  return optionReply(option, type, Buffer.from(message, "utf8"));
}

/** The payload of NBD_REP_SERVER (one export in NBD_OPT_LIST) or NBD_REP_META_CONTEXT. */
export function lengthPrefixed(prefix: number, text: string): Buffer {
  const name = Buffer.from(text, "utf8");
  const out = Buffer.alloc(4 + name.length);
  out.writeUInt32BE(prefix, 0);
  name.copy(out, 4);
  return out;
}

export function infoExport(size: number, flags: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0, 0);
  b.writeBigUInt64BE(BigInt(size), 2);
  b.writeUInt16BE(flags, 10);
  return b;
}

export function infoName(name: string): Buffer {
  const text = Buffer.from(name, "utf8");
  const b = Buffer.alloc(2 + text.length);
  b.writeUInt16BE(1, 0);
  text.copy(b, 2);
  return b;
}

export function infoBlockSize(min: number, preferred: number, max: number): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16BE(3, 0);
  b.writeUInt32BE(min, 2);
  b.writeUInt32BE(preferred, 6);
  b.writeUInt32BE(max, 10);
  return b;
}

/** What NBD_OPT_EXPORT_NAME answers: size, flags, and 124 zero bytes unless NO_ZEROES. */
export function exportNameReply(size: number, flags: number, noZeroes: boolean): Buffer {
  const b = Buffer.alloc(noZeroes ? 10 : 134);
  b.writeBigUInt64BE(BigInt(size), 0);
  b.writeUInt16BE(flags, 8);
  return b;
}

export function simpleReply(handle: Buffer, error: number, data?: Buffer): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
  head.writeUInt32BE(error, 4);
  handle.copy(head, 8);
  return data ? Buffer.concat([head, data]) : head;
}

function chunk(handle: Buffer, flags: number, type: number, payload: Buffer[]): Buffer {
  const length = payload.reduce((n, p) => n + p.length, 0);
  const head = Buffer.alloc(20);
  head.writeUInt32BE(STRUCTURED_REPLY_MAGIC, 0);
  head.writeUInt16BE(flags, 4);
  head.writeUInt16BE(type, 6);
  handle.copy(head, 8);
  head.writeUInt32BE(length, 16);
  return Buffer.concat([head, ...payload]);
}

export function noneChunk(handle: Buffer, flags: number): Buffer {
  return chunk(handle, flags, REPLY_TYPE_NONE, []);
}

export function dataChunk(handle: Buffer, flags: number, offset: number, data: Buffer): Buffer {
  const at = Buffer.alloc(8);
  at.writeBigUInt64BE(BigInt(offset), 0);
  return chunk(handle, flags, REPLY_TYPE_OFFSET_DATA, [at, data]);
}

export function holeChunk(handle: Buffer, flags: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeBigUInt64BE(BigInt(offset), 0);
  b.writeUInt32BE(length, 8);
  return chunk(handle, flags, REPLY_TYPE_OFFSET_HOLE, [b]);
}

export function errorChunk(handle: Buffer, flags: number, error: number, message: string): Buffer {
  const text = Buffer.from(message.slice(0, 4096), "utf8");
  const b = Buffer.alloc(6);
  b.writeUInt32BE(error, 0);
  b.writeUInt16BE(text.length, 4);
  return chunk(handle, flags, REPLY_TYPE_ERROR, [b, text]);
}

export function blockStatusChunk(
  handle: Buffer,
  flags: number,
  contextId: number,
  extents: { length: number; flags: number }[],
): Buffer {
  const b = Buffer.alloc(4 + extents.length * 8);
  b.writeUInt32BE(contextId, 0);
  extents.forEach((e, i) => {
    b.writeUInt32BE(e.length, 4 + i * 8);
    b.writeUInt32BE(e.flags, 8 + i * 8);
  });
  return chunk(handle, flags, REPLY_TYPE_BLOCK_STATUS, [b]);
}
