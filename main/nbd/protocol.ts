/**
 * Every number of the NBD protocol that Snapferry speaks, in one place (names as in the
 * NetworkBlockDevice/nbd doc/proto.md). Only the fixed newstyle handshake is implemented.
 */

/** "NBDMAGIC", then "IHAVEOPT": the server's greeting in the newstyle handshake. */
export const NBDMAGIC = 0x4e42444d41474943n;
export const IHAVEOPT = 0x49484156454f5054n;
/** Prefixes every option reply. */
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

// Handshake flags (server) and client flags.
export const FLAG_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_NO_ZEROES = 1 << 1;
export const FLAG_C_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_C_NO_ZEROES = 1 << 1;

// Options.
export const OPT_EXPORT_NAME = 1;
export const OPT_ABORT = 2;
export const OPT_LIST = 3;
export const OPT_STARTTLS = 5;
export const OPT_INFO = 6;
export const OPT_GO = 7;
export const OPT_STRUCTURED_REPLY = 8;
export const OPT_LIST_META_CONTEXT = 9;
export const OPT_SET_META_CONTEXT = 10;

// Option reply types; errors have bit 31 set.
export const REP_ACK = 1;
export const REP_SERVER = 2;
export const REP_INFO = 3;
export const REP_META_CONTEXT = 4;
const REP_ERR = 0x80000000;
export const REP_ERR_UNSUP = REP_ERR + 1;
export const REP_ERR_POLICY = REP_ERR + 2;
export const REP_ERR_INVALID = REP_ERR + 3;
export const REP_ERR_UNKNOWN = REP_ERR + 6;
export const REP_ERR_TOO_BIG = REP_ERR + 9;

// NBD_REP_INFO payload types.
export const INFO_EXPORT = 0;
export const INFO_NAME = 1;
export const INFO_DESCRIPTION = 2;
export const INFO_BLOCK_SIZE = 3;

// Transmission flags.
export const FLAG_HAS_FLAGS = 1 << 0;
export const FLAG_SEND_FLUSH = 1 << 2;
export const FLAG_SEND_FUA = 1 << 3;
export const FLAG_SEND_TRIM = 1 << 5;
export const FLAG_SEND_WRITE_ZEROES = 1 << 6;
export const FLAG_SEND_DF = 1 << 7;
export const FLAG_CAN_MULTI_CONN = 1 << 8;

// Commands and their flags.
export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;
export const CMD_TRIM = 4;
export const CMD_WRITE_ZEROES = 6;
export const CMD_BLOCK_STATUS = 7;
export const CMD_FLAG_FUA = 1 << 0;
export const CMD_FLAG_NO_HOLE = 1 << 1;
export const CMD_FLAG_DF = 1 << 2;
export const CMD_FLAG_REQ_ONE = 1 << 3;

// Structured reply chunk types and flags.
export const REPLY_FLAG_DONE = 1 << 0;
export const REPLY_TYPE_NONE = 0;
export const REPLY_TYPE_OFFSET_DATA = 1;
export const REPLY_TYPE_OFFSET_HOLE = 2;
export const REPLY_TYPE_BLOCK_STATUS = 5;
export const REPLY_TYPE_ERROR = (1 << 15) + 1;
export const REPLY_TYPE_ERROR_OFFSET = (1 << 15) + 2;

// Error values on the wire (Linux errno numbers, as the protocol fixes them).
export const EPERM = 1;
export const EIO = 5;
export const ENOMEM = 12;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EOVERFLOW = 75;
export const ENOTSUP = 95;
export const ESHUTDOWN = 108;

// base:allocation.
export const BASE_ALLOCATION = "base:allocation";
export const BASE_ALLOCATION_ID = 1;
export const STATE_HOLE = 1 << 0;
export const STATE_ZERO = 1 << 1;

// Limits: what we accept from a client, so that a hostile one cannot make us allocate.
/** The largest option payload we read into memory; bigger ones are skipped unread. */
export const MAX_OPTION_DATA = 64 * 1024;
/** The largest READ/WRITE a client may send (also what NBD_INFO_BLOCK_SIZE advertises). */
export const MAX_REQUEST = 32 * 1024 * 1024;
export const PREFERRED_BLOCK = 4096;
export const MIN_BLOCK = 1;
/** Requests one connection may have in flight, and their bytes, before we stop reading it. */
export const MAX_IN_FLIGHT = 16;
export const MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
/** A block status answer covers at most this much (the client asks again for the rest). */
export const MAX_STATUS_SPAN = 1024 * 1024 * 1024;
