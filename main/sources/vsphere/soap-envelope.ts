/**
 * vim25 SOAP requests, built from a typed value tree. vim's XML Schema types are sequences, so the
 * order of fields matters: callers list an object's fields in schema order (JavaScript keeps the
 * insertion order of non-numeric keys). Arrays become repeated elements, MoRefs `<name type="T">`.
 */
import { SnapferryError } from "../../common/errors.js";
import { isMoRef, type MoRef } from "./moref.js";

export const VIM25_NAMESPACE = "urn:vim25";
const SOAP_ENVELOPE_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/";

export type SoapValue = string | number | bigint | boolean | MoRef | SoapObject | readonly SoapValue[];

/** Field name to value, in schema order; undefined fields are left out (minOccurs=0). */
export type SoapFields = Readonly<Record<string, SoapValue | undefined>>;

/** A data object; `xsiType` is needed where the schema allows subtypes (a TraversalSpec in selectSet). */
export interface SoapObject {
  readonly xsiType?: string;
  readonly fields: SoapFields;
}

export type MethodArguments = SoapFields & { readonly _this: MoRef };

const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const TYPE_NAME = /^(?:[A-Za-z_][A-Za-z0-9_.-]*:)?[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A request this code cannot express in XML: a programming or input error, never the server's. */
export class SoapRequestError extends SnapferryError {
  constructor(message: string) {
    super("usage", message, "Remove control characters from the names and values given to Snapferry.");
  }
}

/** The whole envelope for calling `method` with `args` (`_this` first, then the rest in order). */
export function buildEnvelope(method: string, args: MethodArguments): string {
  checkName(method, method);
  const { _this, ...rest } = args;
  const body = writeField("_this", _this, method) + writeFields(rest, method);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENVELOPE_NAMESPACE}" ` +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><${method} xmlns="${VIM25_NAMESPACE}">${body}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}

function writeFields(fields: SoapFields, path: string): string {
  let out = "";
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) out += writeField(name, value, `${path}/${name}`);
  }
  return out;
}

/** `path` names the field in errors ("Login/password"): the value itself is never shown. */
function writeField(name: string, value: SoapValue, path: string): string {
  checkName(name, path);
  if (isArray(value)) return value.map((item) => writeItem(name, item, path)).join("");
  return writeItem(name, value, path);
}

function writeItem(name: string, value: SoapValue, path: string): string {
  if (isArray(value)) throw new SoapRequestError(`cannot build ${path}: an array cannot hold arrays`);
  if (isMoRef(value)) {
    return `<${name} type="${escapeAttribute(value.type, path)}">${escapeText(value.value, path)}</${name}>`;
  }
  if (typeof value === "object") {
    const type = value.xsiType === undefined ? "" : ` xsi:type="${checkType(value.xsiType, path)}"`;
    return `<${name}${type}>${writeFields(value.fields, path)}</${name}>`;
  }
  return `<${name}>${escapeText(scalarText(value, path), path)}</${name}>`;
}

function isArray(value: SoapValue): value is readonly SoapValue[] {
  return Array.isArray(value);
}

function scalarText(value: string | number | bigint | boolean, path: string): string {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new SoapRequestError(`cannot build ${path}: ${value} is not a number vim25 accepts`);
  }
  return String(value);
}

function checkName(name: string, path: string): void {
  if (!ELEMENT_NAME.test(name))
    throw new SoapRequestError(`cannot build ${path}: "${name}" is not an element name`);
}

function checkType(type: string, path: string): string {
  if (!TYPE_NAME.test(type)) throw new SoapRequestError(`cannot build ${path}: "${type}" is not a type name`);
  return type;
}

/** XML 1.0 cannot carry C0 controls other than tab and newlines, nor U+FFFE/U+FFFF, escaped or not. */
function hasForbiddenCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff) return true;
  }
  return false;
}

function checkCharacters(value: string, path: string): void {
  if (hasForbiddenCharacter(value)) {
    throw new SoapRequestError(`cannot send ${path}: it contains a control character that XML cannot carry`);
  }
}

export function escapeText(value: string, path: string): string {
  checkCharacters(value, path);
  return value.replace(/[&<>\r]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&#13;",
  );
}

const ATTRIBUTE_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  '"': "&quot;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

export function escapeAttribute(value: string, path: string): string {
  checkCharacters(value, path);
  return value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}
