import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  child,
  children,
  MAX_RESPONSE_BYTES,
  parseXml,
  requireChild,
  requireText,
  text,
  type XmlNode,
} from "../../main/sources/vsphere/soap-xml.js";
import { VsphereProtocolError } from "../../main/sources/vsphere/vsphere-errors.js";

const SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/";

function envelope(body: string, extraNamespaces = ""): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAPENV}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ` +
    `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"${extraNamespaces}>` +
    `<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`
  );
}

function responseOf(xml: string): XmlNode {
  const found = requireChild(parseXml(xml, "esx1"), "Body", "esx1").children[0];
  assert.ok(found);
  return found;
}

/** What vcsim writes: its own prefix for XML Schema instance, declared on each value. */
const VCSIM_PROPSET = `<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects>
  <obj type="Folder">group-d1</obj>
  <propSet><name>name</name><val xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="xsd:string">Datacenters</val></propSet>
  <propSet><name>parent</name><val xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="ManagedObjectReference" type="Folder">group-d1</val></propSet>
</objects></returnval></RetrievePropertiesExResponse>`;

describe("SOAP XML parsing", () => {
  it("resolves element namespaces through prefixes and default declarations", () => {
    const root = parseXml(
      envelope('<CurrentTimeResponse xmlns="urn:vim25"><returnval>x</returnval></CurrentTimeResponse>'),
      "esx1",
    );
    assert.equal(root.name, "Envelope");
    assert.equal(root.namespace, SOAPENV);
    const body = requireChild(root, "Body", "esx1");
    assert.equal(body.namespace, SOAPENV);
    const response = body.children[0];
    assert.equal(response?.name, "CurrentTimeResponse");
    assert.equal(response?.namespace, "urn:vim25");
    assert.equal(child(response, "returnval")?.namespace, "urn:vim25", "the default namespace is inherited");
  });

  it("reads vcsim's XMLSchema-instance:type as the xsi type and keeps a MoRef's plain type attribute", () => {
    const objects = requireChild(responseOf(envelope(VCSIM_PROPSET)), "returnval/objects", "esx1");
    const [name, parent] = children(objects, "propSet").map((p) => requireChild(p, "val", "esx1"));
    assert.equal(name?.xsiType, "string", "the local part of xsd:string");
    assert.deepEqual(name?.attributes, {}, "neither xmlns declarations nor xsi:type are attributes");
    assert.equal(parent?.xsiType, "ManagedObjectReference");
    assert.deepEqual(parent?.attributes, { type: "Folder" });
    assert.equal(parent?.text, "group-d1");
  });

  it("reads ESXi's xsi:type, and any prefix bound to the XML Schema instance namespace", () => {
    const xml = envelope(
      '<R xmlns="urn:vim25"><a xsi:type="VirtualMachineSnapshotTree"/>' +
        '<b xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="ArrayOfManagedObjectReference"/>' +
        '<c xmlns:other="urn:not-xsi" other:type="NotAnXsiType" type="Datastore">datastore-1</c></R>',
    );
    const response = responseOf(xml);
    assert.equal(child(response, "a")?.xsiType, "VirtualMachineSnapshotTree");
    assert.equal(child(response, "b")?.xsiType, "ArrayOfManagedObjectReference");
    const c = child(response, "c");
    assert.equal(c?.xsiType, undefined, "a `type` attribute in another namespace is not xsi:type");
    assert.equal(c?.attributes.type, "Datastore");
  });

  it("keeps values as strings and decodes entities, numeric references included", () => {
    const xml = envelope(
      '<R xmlns="urn:vim25"><n>007</n><f>1.50</f><big>18446744073709551615</big>' +
        "<s>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#xA;z</s><sp>  padded  </sp>" +
        '<attr note="x &amp; y &#x9;">v</attr></R>',
    );
    const response = responseOf(xml);
    assert.equal(text(response, "n"), "007");
    assert.equal(text(response, "f"), "1.50");
    assert.equal(text(response, "big"), "18446744073709551615");
    assert.equal(text(response, "s"), "a & b <c> \"d\" 'e' AB\nz");
    assert.equal(text(response, "sp"), "  padded  ", "text is not trimmed");
    assert.equal(child(response, "attr")?.attributes.note, "x & y \t");
    assert.equal(text(response, "absent"), undefined);
  });

  it("refuses a DOCTYPE (entity expansion) before parsing anything", () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      "<lolz>&lol2;</lolz>";
    assert.throws(
      () => parseXml(bomb, "esx1"),
      (err: unknown) =>
        err instanceof VsphereProtocolError && err.code === "vsphere-protocol" && /DTD/.test(err.message),
    );
  });

  it("refuses an answer larger than the bound", () => {
    const huge = Buffer.alloc(MAX_RESPONSE_BYTES + 1, 0x20);
    assert.throws(
      () => parseXml(huge, "esx1"),
      (err: unknown) => err instanceof VsphereProtocolError && /larger than 64 MiB/.test(err.message),
    );
  });

  it("refuses malformed XML, undeclared prefixes and unknown entities, naming the server", () => {
    for (const bad of [
      envelope("<R><a></R>"),
      envelope("<R><p:a/></R>"),
      envelope("<R>&nbsp;</R>"),
      "",
      "just text",
    ]) {
      assert.throws(
        () => parseXml(bad, "esx1.lan"),
        (err: unknown) => err instanceof VsphereProtocolError && /esx1\.lan/.test(err.message),
        bad,
      );
    }
  });

  it("names the missing element path in a malformed answer", () => {
    const response = responseOf(
      envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval/></RetrievePropertiesExResponse>'),
    );
    assert.throws(
      () => requireText(response, "returnval/token", "esx1.lan"),
      (err: unknown) =>
        err instanceof VsphereProtocolError &&
        err.message ===
          "malformed answer from esx1.lan: RetrievePropertiesExResponse/returnval/token missing",
    );
    assert.equal(requireChild(response, "returnval", "esx1.lan").name, "returnval");
  });

  it("lists repeated children in document order", () => {
    const response = responseOf(envelope('<R xmlns="urn:vim25"><v>1</v><w/><v>2</v><v>3</v></R>'));
    assert.deepEqual(
      children(response, "v").map((v) => v.text),
      ["1", "2", "3"],
    );
    assert.deepEqual(children(undefined, "v"), []);
  });
});
