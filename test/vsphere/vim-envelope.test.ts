import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { moref } from "../../main/sources/vsphere/moref.js";
import { buildEnvelope, SoapRequestError } from "../../main/sources/vsphere/soap-envelope.js";
import {
  child,
  children,
  parseXml,
  requireChild,
  text,
  type XmlNode,
} from "../../main/sources/vsphere/soap-xml.js";

function methodElement(xml: string): XmlNode {
  const method = requireChild(parseXml(xml, "test"), "Body", "test").children[0];
  assert.ok(method);
  return method;
}

describe("SOAP request envelopes", () => {
  it("puts _this first, then the fields in the order given, in the vim25 namespace", () => {
    const xml = buildEnvelope("CreateContainerView", {
      recursive: true,
      _this: moref("ViewManager", "ViewManager"),
      container: moref("Folder", "group-d1"),
      type: ["VirtualMachine", "HostSystem"],
      skipped: undefined,
    });
    const method = methodElement(xml);
    assert.equal(method.name, "CreateContainerView");
    assert.equal(method.namespace, "urn:vim25");
    assert.deepEqual(
      method.children.map((c) => c.name),
      ["_this", "recursive", "container", "type", "type"],
    );
    assert.deepEqual(child(method, "_this")?.attributes, { type: "ViewManager" });
    assert.equal(text(method, "recursive"), "true");
    assert.deepEqual(
      children(method, "type").map((t) => t.text),
      ["VirtualMachine", "HostSystem"],
    );
  });

  it("writes nested objects with their xsi type, and numbers as decimal text", () => {
    const xml = buildEnvelope("RetrievePropertiesEx", {
      _this: moref("PropertyCollector", "propertyCollector"),
      specSet: {
        fields: {
          propSet: { fields: { type: "VirtualMachine", all: false, pathSet: ["name"] } },
          objectSet: {
            fields: {
              obj: moref("ContainerView", "session[1]view"),
              selectSet: { xsiType: "TraversalSpec", fields: { name: "view", path: "view" } },
            },
          },
        },
      },
      options: { fields: { maxObjects: 100, big: 2n ** 62n } },
    });
    const method = methodElement(xml);
    const select = requireChild(method, "specSet/objectSet/selectSet", "test");
    assert.equal(select.xsiType, "TraversalSpec");
    assert.equal(text(select, "path"), "view");
    assert.equal(requireChild(method, "options/maxObjects", "test").text, "100");
    assert.equal(requireChild(method, "options/big", "test").text, "4611686018427387904");
  });

  it("escapes text and attributes so that any value round-trips", () => {
    const tricky = `a&b <c> "d" 'e' ]]> \r\n\ttab é 日本`;
    const xml = buildEnvelope("Rename_Task", { _this: moref(`Weird"&<Type`, tricky), newName: tricky });
    const method = methodElement(xml);
    assert.equal(text(method, "newName"), tricky);
    assert.equal(child(method, "_this")?.text, tricky);
    assert.equal(child(method, "_this")?.attributes.type, `Weird"&<Type`);
  });

  it("refuses characters XML cannot carry, naming the field but never showing its value", () => {
    assert.throws(
      () =>
        buildEnvelope("Login", {
          _this: moref("SessionManager", "SessionManager"),
          password: "se\u0001cret",
        }),
      (err: unknown) =>
        err instanceof SoapRequestError &&
        /Login\/password/.test(err.message) &&
        !/se.?cret/.test(err.message),
    );
    assert.throws(() => buildEnvelope("Bad Name", { _this: moref("X", "y") }), SoapRequestError);
    assert.throws(() => buildEnvelope("M", { _this: moref("X", "y"), n: Number.NaN }), SoapRequestError);
  });
});
