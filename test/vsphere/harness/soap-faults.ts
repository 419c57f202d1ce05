/**
 * SOAP envelopes and vim faults written byte for byte the way vcsim writes them (same envelope
 * namespaces, `<XFault xmlns="urn:vim25" xsi:type="X">` detail), with the faultstrings ESXi uses, so
 * a client's fault parser meets the real shape.
 */
import { escapeXml, type MoRef } from "./xml-read.js";

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ' +
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>';
const ENVELOPE_CLOSE = "</soapenv:Body></soapenv:Envelope>";

/** A fault a test can make the next call(s) of a method fail with. */
export type InjectedFault =
  /** Free ESXi licence: the API is read-only. */
  | { kind: "RestrictedVersion"; message?: string }
  | { kind: "NoPermission"; privilegeId: string; object?: MoRef; message?: string }
  | { kind: "NotAuthenticated"; object?: MoRef; message?: string }
  | { kind: "InvalidPowerState"; existingState: string; requestedState?: string; message?: string }
  | { kind: "TaskInProgress"; task?: MoRef; message?: string }
  | { kind: "InvalidArgument"; invalidProperty: string; message?: string }
  /** Any other vim fault; detailXml is the fault's fields, already in schema order. */
  | { kind: "vim"; faultType: string; message: string; detailXml?: string }
  /** A SOAP fault with no vim detail, as a broken or foreign server sends. */
  | { kind: "soap"; faultstring: string; faultcode?: string }
  /** No answer at all until the proxy stops: a hung host, for timeout handling. */
  | { kind: "hang" };

export function soapEnvelope(bodyXml: string): string {
  return ENVELOPE_OPEN + bodyXml + ENVELOPE_CLOSE;
}

export function methodResponse(method: string, returnvalXml: string): string {
  return soapEnvelope(`<${method}Response xmlns="urn:vim25">${returnvalXml}</${method}Response>`);
}

function morefXml(element: string, ref: MoRef): string {
  return `<${element} type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</${element}>`;
}

export function vimFaultEnvelope(faultType: string, faultstring: string, detailXml = ""): string {
  return soapEnvelope(
    `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${escapeXml(faultstring)}</faultstring>` +
      `<detail><${faultType}Fault xmlns="urn:vim25" xsi:type="${faultType}">${detailXml}</${faultType}Fault>` +
      `</detail></soapenv:Fault>`,
  );
}

export function plainFaultEnvelope(faultstring: string, faultcode = "ServerFaultCode"): string {
  return soapEnvelope(
    `<soapenv:Fault><faultcode>${escapeXml(faultcode)}</faultcode>` +
      `<faultstring>${escapeXml(faultstring)}</faultstring></soapenv:Fault>`,
  );
}

export function invalidArgumentEnvelope(property: string, message?: string): string {
  return vimFaultEnvelope(
    "InvalidArgument",
    message ?? `A specified parameter was not correct: ${property}`,
    `<invalidProperty>${escapeXml(property)}</invalidProperty>`,
  );
}

/** The fault envelope for an injected fault; `target` is the call's `_this`, named by NoPermission. */
export function injectedFaultEnvelope(
  fault: Exclude<InjectedFault, { kind: "hang" }>,
  target?: MoRef,
): string {
  switch (fault.kind) {
    case "RestrictedVersion":
      return vimFaultEnvelope(
        "RestrictedVersion",
        fault.message ?? "Current license or ESXi version prohibits execution of the requested operation.",
      );
    case "NoPermission": {
      const object = fault.object ?? target;
      return vimFaultEnvelope(
        "NoPermission",
        fault.message ?? "Permission to perform this operation was denied.",
        (object ? morefXml("object", object) : "") +
          `<privilegeId>${escapeXml(fault.privilegeId)}</privilegeId>`,
      );
    }
    case "NotAuthenticated": {
      const object = fault.object ?? target;
      return vimFaultEnvelope(
        "NotAuthenticated",
        fault.message ?? "The session is not authenticated.",
        (object ? morefXml("object", object) : "") + "<privilegeId>System.View</privilegeId>",
      );
    }
    case "InvalidPowerState":
      return vimFaultEnvelope(
        "InvalidPowerState",
        fault.message ??
          `The attempted operation cannot be performed in the current state (${fault.existingState}).`,
        (fault.requestedState ? `<requestedState>${escapeXml(fault.requestedState)}</requestedState>` : "") +
          `<existingState>${escapeXml(fault.existingState)}</existingState>`,
      );
    case "TaskInProgress":
      return vimFaultEnvelope(
        "TaskInProgress",
        fault.message ?? "The operation is not allowed in the current state.",
        fault.task ? morefXml("task", fault.task) : "",
      );
    case "InvalidArgument":
      return invalidArgumentEnvelope(fault.invalidProperty, fault.message);
    case "vim":
      return vimFaultEnvelope(fault.faultType, fault.message, fault.detailXml);
    case "soap":
      return plainFaultEnvelope(fault.faultstring, fault.faultcode);
  }
}
