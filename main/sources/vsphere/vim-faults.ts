/**
 * vim25 faults as messages an admin can act on. The same fault reaches us three ways: a SOAP fault
 * (its <detail> element), a failed task's info.error and a property the collector could not read
 * (both a LocalizedMethodFault). All three end in mapFault. The server's own text is kept in
 * `serverMessage` for logs; ours names the server, the object and what to do.
 */
import type { ErrorCode } from "../../common/errors.js";
import { formatMoRef, type MoRef } from "./moref.js";
import { child, children, text, type XmlNode } from "./soap-xml.js";
import { VsphereFaultError } from "./vsphere-errors.js";

export interface FaultContext {
  /** The server as shown to the user ("esx1.lan"). */
  server: string;
  /** The vim method or task that failed ("PowerOffVM_Task"), when known. */
  method?: string;
  /** The user name the session runs as, when known: permission faults name it. */
  user?: string;
}

interface Fault {
  type: string;
  node: XmlNode | undefined;
  serverMessage: string;
  ctx: FaultContext;
}

type Explain = (f: Fault) => VsphereFaultError;

function make(code: ErrorCode, f: Fault, message: string, hint?: string): VsphereFaultError {
  return new VsphereFaultError(code, f.type, message, hint, f.serverMessage);
}

function doing(f: Fault): string {
  return f.ctx.method ? `${f.ctx.method} (${f.ctx.server})` : f.ctx.server;
}

function moRefText(node: XmlNode | undefined): string | undefined {
  const type = node?.attributes.type;
  return node && type ? formatMoRef({ type, value: node.text } satisfies MoRef) : undefined;
}

const POWER_STATE_WORDS: Record<string, string> = {
  poweredOn: "powered on",
  poweredOff: "powered off",
  suspended: "suspended",
};

function powerWords(state: string | undefined): string | undefined {
  return state === undefined ? undefined : (POWER_STATE_WORDS[state] ?? state);
}

function privilegesOf(node: XmlNode | undefined): string[] {
  const listed = children(node, "missingPrivileges").flatMap((m) =>
    children(m, "privileges").map((p) => p.text),
  );
  const single = text(node, "privilegeId");
  return [...new Set([...(single ? [single] : []), ...listed])];
}

const FILE_FAULT_WORDS: Record<string, string> = {
  FileAlreadyExists: "already exists",
  FileLocked: "is locked (a running VM or another host holds it)",
  CannotAccessFile: "cannot be accessed",
  CannotCreateFile: "cannot be created",
  CannotDeleteFile: "cannot be deleted",
  FileNotWritable: "is not writable",
  FileTooLarge: "is too large for the datastore",
  FileNameTooLong: "has a name that is too long",
  NotADirectory: "is not a folder",
  NotAFile: "is not a file",
  DirectoryNotEmpty: "is a folder that is not empty",
  IncorrectFileType: "is not of the expected type",
  FileFault: "could not be used",
};

const INVALID_STATES = new Set([
  "InvalidState",
  "InvalidVmState",
  "InvalidHostState",
  "InvalidDatastoreState",
  "CannotPowerOffVmInCluster",
  "QuestionPending",
  "VmPowerOnDisabled",
]);

const EXPLAIN: Record<string, Explain> = {
  InvalidLogin: (f) =>
    make(
      "vsphere-login",
      f,
      `wrong user name or password for ${f.ctx.server}`,
      "Check the user name (vCenter users usually need their domain, like administrator@vsphere.local) " +
        "and the password; after repeated failures the account may be locked for a while.",
    ),
  NotAuthenticated: (f) =>
    make(
      "vsphere-login",
      f,
      `not logged in to ${f.ctx.server}: the session has ended`,
      "The session expired or was ended by an administrator; connect again. If it happens repeatedly, " +
        "check the session timeout on the host.",
    ),
  NoPermission: (f) => noPermission(f),
  RestrictedVersion: (f) =>
    make(
      "vsphere-license",
      f,
      `${f.ctx.server} runs the free ESXi licence (vSphere Hypervisor), which forbids changes through ` +
        "the API: snapshots, backups and restores cannot run on it. Read-only inventory still works",
      "Assign a paid vSphere licence (Essentials or above) to the host, then run the job again.",
    ),
  InvalidPowerState: (f) => {
    const existing = powerWords(text(f.node, "existingState"));
    const requested = powerWords(text(f.node, "requestedState"));
    return make(
      "vsphere-power-state",
      f,
      `${doing(f)} is not possible: the VM is ${existing ?? "in another power state"}` +
        // Some servers (vcsim) put the target state here instead of the one the operation needs.
        (requested && requested !== existing ? `, and this needs it ${requested}` : ""),
      "Change the VM's power state (or wait for the operation changing it), then try again.",
    );
  },
  TaskInProgress: (f) => busy(f, moRefText(child(f.node, "task"))),
  ConcurrentAccess: (f) => busy(f, undefined),
  InvalidArgument: (f) => {
    const property = text(f.node, "invalidProperty");
    return make(
      "vsphere-fault",
      f,
      `${doing(f)} was refused: invalid argument${property ? ` ${property}` : ""}` +
        (f.serverMessage ? ` (${f.serverMessage})` : ""),
      "The server version may not support this request; report it with the server's version (vSphere Client: About).",
    );
  },
  InvalidProperty: (f) =>
    make(
      "vsphere-fault",
      f,
      `${doing(f)} failed: the property ${text(f.node, "name") ?? "(unnamed)"} does not exist on this server`,
      "The server's API version may be older than this feature needs; check its version (vSphere Client: About).",
    ),
  FileNotFound: (f) =>
    make(
      "not-found",
      f,
      `file not found on ${f.ctx.server}: ${text(f.node, "file") ?? "(unnamed)"}`,
      "The file was moved, renamed or deleted; refresh the inventory and check the datastore.",
    ),
  NoDiskSpace: (f) =>
    make(
      "disk-full",
      f,
      `the datastore ${text(f.node, "datastore") ?? ""} on ${f.ctx.server} is full (writing ${text(f.node, "file") ?? "a file"})`,
      "Free space on the datastore (remove old snapshots or unused files), or choose another datastore.",
    ),
  ManagedObjectNotFound: (f) =>
    make(
      "not-found",
      f,
      `${moRefText(child(f.node, "obj")) ?? "an object"} no longer exists on ${f.ctx.server}`,
      "It was removed or moved since the inventory was read; refresh the inventory and try again.",
    ),
  Timedout: (f) =>
    make(
      "vsphere-timeout",
      f,
      `${doing(f)} timed out on the server`,
      "Try again; if it repeats, check the host's load.",
    ),
  RequestCanceled: (f) => make("cancelled", f, `${doing(f)} was cancelled`, undefined),
  NotSupported: (f) => notSupported(f),
  NotImplemented: (f) => notSupported(f),
  MethodNotFound: (f) => notSupported(f),
  HostNotConnected: (f) =>
    make(
      "vsphere-fault",
      f,
      `${doing(f)} failed: the host is not connected to the vCenter`,
      "Reconnect the host in the vSphere Client, then try again.",
    ),
};

function noPermission(f: Fault): VsphereFaultError {
  const privileges = privilegesOf(f.node);
  const object = moRefText(child(f.node, "object")) ?? "an object";
  const who = f.ctx.user ?? "the user";
  const what = privileges.length > 0 ? `the privilege ${privileges.join(", ")}` : "a privilege";
  return make(
    "vsphere-permission",
    f,
    `permission denied on ${f.ctx.server}: ${who} lacks ${what} on ${object}` +
      (f.ctx.method ? ` (needed for ${f.ctx.method})` : ""),
    `In the vSphere Client, give ${who} a role with ${privileges[0] ?? "that privilege"} on this object ` +
      "(or on a parent, with propagation), then try again.",
  );
}

function busy(f: Fault, task: string | undefined): VsphereFaultError {
  return make(
    "vsphere-busy",
    f,
    `${doing(f)} cannot run now: another operation is in progress on the object${task ? ` (${task})` : ""}`,
    "Wait for the running task to finish (Recent Tasks in the vSphere Client), then try again.",
  );
}

function notSupported(f: Fault): VsphereFaultError {
  return make(
    "vsphere-fault",
    f,
    `${doing(f)} is not supported by this server${f.serverMessage ? `: ${f.serverMessage}` : ""}`,
    "Check the server's version and edition; Snapferry needs ESXi or vCenter 6.5 or later.",
  );
}

function invalidState(f: Fault): VsphereFaultError {
  return make(
    "vsphere-fault",
    f,
    `${doing(f)} is not possible in the object's current state (${f.type})` +
      (f.serverMessage ? `: ${f.serverMessage}` : ""),
    "Check the object in the vSphere Client (a pending question, maintenance mode, a disconnected host), then try again.",
  );
}

function fileFault(f: Fault, words: string): VsphereFaultError {
  return make(
    "vsphere-fault",
    f,
    `on ${f.ctx.server}, the file ${text(f.node, "file") ?? "(unnamed)"} ${words}`,
    "Check the file on the datastore in the vSphere Client (Datastore browser), then try again.",
  );
}

function generic(f: Fault): VsphereFaultError {
  return make(
    "vsphere-fault",
    f,
    `${doing(f)} failed: ${f.serverMessage || "no explanation given"} (${f.type})`,
    "Check the task's details in the vSphere Client; the server's message says more.",
  );
}

/** Maps one fault object (an element whose xsi type is the fault's vim type). */
export function mapFault(
  type: string,
  node: XmlNode | undefined,
  serverMessage: string,
  ctx: FaultContext,
): VsphereFaultError {
  const fault: Fault = { type, node, serverMessage: serverMessage.trim(), ctx };
  const explain = EXPLAIN[type];
  if (explain) return explain(fault);
  if (INVALID_STATES.has(type)) return invalidState(fault);
  const fileWords = FILE_FAULT_WORDS[type];
  if (fileWords !== undefined) return fileFault(fault, fileWords);
  return generic(fault);
}

/** The vim type of a fault element: its xsi type, else its element name minus "Fault". */
function faultType(node: XmlNode): string {
  return node.xsiType ?? node.name.replace(/Fault$/, "");
}

/** The message lines a MethodFault may carry itself (faultMessage), for when nothing else explains it. */
function faultMessages(node: XmlNode | undefined): string {
  return children(node, "faultMessage")
    .map((m) => text(m, "message") ?? "")
    .filter((m) => m !== "")
    .join("; ");
}

/** Maps a SOAP <Fault> element (faultcode, faultstring, detail). */
export function faultFromSoap(fault: XmlNode, ctx: FaultContext): VsphereFaultError {
  const detail = child(fault, "detail")?.children[0];
  const message = text(fault, "faultstring") || faultMessages(detail);
  return mapFault(detail ? faultType(detail) : "SoapFault", detail, message, ctx);
}

/** Maps a LocalizedMethodFault: a task's info.error or a missing property's fault. */
export function faultFromLocalized(localized: XmlNode, ctx: FaultContext): VsphereFaultError {
  const inner = child(localized, "fault");
  const message = text(localized, "localizedMessage") || faultMessages(inner);
  return mapFault(inner ? faultType(inner) : "MethodFault", inner, message, ctx);
}
