import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { networkError } from "../../main/sources/vsphere/network-errors.js";
import { parseXml, requireChild, type XmlNode } from "../../main/sources/vsphere/soap-xml.js";
import {
  faultFromLocalized,
  faultFromSoap,
  type FaultContext,
} from "../../main/sources/vsphere/vim-faults.js";
import { VsphereFaultError, VsphereNetworkError } from "../../main/sources/vsphere/vsphere-errors.js";

const CTX: FaultContext = { server: "esx1.lan", method: "CreateSnapshot_Task", user: "backup@vsphere.local" };

/** A SOAP fault the way ESXi writes it. */
function soapFault(faultstring: string, detail: string): XmlNode {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>' +
    `<faultcode>ServerFaultCode</faultcode><faultstring>${faultstring}</faultstring>` +
    `<detail>${detail}</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  return requireChild(parseXml(xml, "esx1.lan"), "Body/Fault", "esx1.lan");
}

function mapped(faultstring: string, detail: string, ctx = CTX): VsphereFaultError {
  return faultFromSoap(soapFault(faultstring, detail), ctx);
}

describe("vim25 fault mapping", () => {
  it("NoPermission names the privilege, the object, the user and the method", () => {
    const err = mapped(
      "Permission to perform this operation was denied.",
      '<NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission"><object type="VirtualMachine">vm-42</object>' +
        "<privilegeId>VirtualMachine.State.CreateSnapshot</privilegeId></NoPermissionFault>",
    );
    assert.equal(err.code, "vsphere-permission");
    assert.equal(err.faultType, "NoPermission");
    assert.match(err.message, /VirtualMachine\.State\.CreateSnapshot/);
    assert.match(err.message, /VirtualMachine:vm-42/);
    assert.match(err.message, /backup@vsphere\.local/);
    assert.match(err.message, /CreateSnapshot_Task/);
    assert.match(err.hint ?? "", /role with VirtualMachine\.State\.CreateSnapshot/);
    assert.equal(err.serverMessage, "Permission to perform this operation was denied.");
  });

  it("NoPermission from vSphere 8 lists missingPrivileges", () => {
    const err = mapped(
      "",
      '<NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission"><object type="Datastore">datastore-11</object>' +
        '<privilegeId>Datastore.Browse</privilegeId><missingPrivileges><entity type="Datastore">datastore-11</entity>' +
        "<privileges>Datastore.Browse</privileges><privileges>Datastore.FileManagement</privileges></missingPrivileges>" +
        "</NoPermissionFault>",
    );
    assert.match(err.message, /Datastore\.Browse, Datastore\.FileManagement on Datastore:datastore-11/);
  });

  it("RestrictedVersion says plainly that the free licence forbids API changes and inventory still works", () => {
    const err = mapped(
      "Current license or ESXi version prohibits execution of the requested operation.",
      '<RestrictedVersionFault xmlns="urn:vim25" xsi:type="RestrictedVersion"></RestrictedVersionFault>',
    );
    assert.equal(err.code, "vsphere-license");
    assert.match(err.message, /esx1\.lan/);
    assert.match(err.message, /free ESXi licence/);
    assert.match(err.message, /snapshots, backups and restores/);
    assert.match(err.message, /[Rr]ead-only inventory still works/);
    assert.match(err.hint ?? "", /licence/);
  });

  it("InvalidPowerState gives the existing and the needed state", () => {
    const err = mapped(
      "The attempted operation cannot be performed in the current state (Powered off).",
      '<InvalidPowerStateFault xmlns="urn:vim25" xsi:type="InvalidPowerState">' +
        "<requestedState>poweredOn</requestedState><existingState>poweredOff</existingState></InvalidPowerStateFault>",
    );
    assert.equal(err.code, "vsphere-power-state");
    assert.match(err.message, /the VM is powered off, and this needs it powered on/);
  });

  it("InvalidLogin, NotAuthenticated (vcsim's prefix) and TaskInProgress", () => {
    const login = mapped(
      "Cannot complete login due to an incorrect user name or password.",
      '<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault>',
    );
    assert.equal(login.code, "vsphere-login");
    assert.equal(login.message, "wrong user name or password for esx1.lan");

    const ended = mapped(
      "",
      '<NotAuthenticatedFault xmlns="urn:vim25" xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" ' +
        'XMLSchema-instance:type="NotAuthenticated"><object type="ServiceInstance">ServiceInstance</object>' +
        "<privilegeId>System.View</privilegeId></NotAuthenticatedFault>",
    );
    assert.equal(ended.faultType, "NotAuthenticated");
    assert.equal(ended.code, "vsphere-login");
    assert.match(ended.message, /session has ended/);

    const busy = mapped(
      "The operation is not allowed in the current state.",
      '<TaskInProgressFault xmlns="urn:vim25" xsi:type="TaskInProgress"><task type="Task">task-77</task></TaskInProgressFault>',
    );
    assert.equal(busy.code, "vsphere-busy");
    assert.match(busy.message, /another operation is in progress.*Task:task-77/);
  });

  it("FileNotFound, InvalidArgument and an unknown fault keep the useful details", () => {
    const file = mapped(
      "File [LocalDS_0] vm/disk.vmdk was not found",
      '<FileNotFoundFault xmlns="urn:vim25" xsi:type="FileNotFound"><file>[LocalDS_0] vm/disk.vmdk</file></FileNotFoundFault>',
    );
    assert.equal(file.code, "not-found");
    assert.match(file.message, /\[LocalDS_0\] vm\/disk\.vmdk/);

    const locked = mapped(
      "",
      '<FileLockedFault xmlns="urn:vim25" xsi:type="FileLocked"><file>[ds] a.vmdk</file></FileLockedFault>',
    );
    assert.match(locked.message, /\[ds\] a\.vmdk is locked/);

    const argument = mapped(
      "A specified parameter was not correct: spec.deviceChange",
      '<InvalidArgumentFault xmlns="urn:vim25" xsi:type="InvalidArgument"><invalidProperty>spec.deviceChange</invalidProperty></InvalidArgumentFault>',
    );
    assert.equal(argument.faultType, "InvalidArgument");
    assert.match(argument.message, /invalid argument spec\.deviceChange/);

    const other = mapped(
      "Something odd happened.",
      '<GenericVmConfigFaultFault xmlns="urn:vim25" xsi:type="GenericVmConfigFault"><reason>x</reason></GenericVmConfigFaultFault>',
    );
    assert.equal(other.code, "vsphere-fault");
    assert.match(
      other.message,
      /CreateSnapshot_Task \(esx1\.lan\) failed: Something odd happened\. \(GenericVmConfigFault\)/,
    );
  });

  it("maps a failed task's LocalizedMethodFault the same way", () => {
    const xml =
      '<val xmlns="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><error>' +
      '<fault xsi:type="InvalidPowerState"><requestedState>poweredOn</requestedState>' +
      "<existingState>suspended</existingState></fault>" +
      "<localizedMessage>The attempted operation cannot be performed in the current state (Suspended).</localizedMessage>" +
      "</error></val>";
    const error = requireChild(parseXml(xml, "vc1"), "error", "vc1");
    const err = faultFromLocalized(error, {
      server: "vc1",
      method: "VirtualMachine.createSnapshot on web01",
    });
    assert.equal(err.code, "vsphere-power-state");
    assert.match(
      err.message,
      /^VirtualMachine\.createSnapshot on web01 \(vc1\) is not possible: the VM is suspended/,
    );
    assert.match(err.serverMessage, /Suspended/);
  });

  it("a fault without detail keeps the faultstring", () => {
    const xml =
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>' +
      "<faultcode>ClientFaultCode</faultcode><faultstring>Unsupported version URI</faultstring>" +
      "</soapenv:Fault></soapenv:Body></soapenv:Envelope>";
    const err = faultFromSoap(requireChild(parseXml(xml, "esx1"), "Body/Fault", "esx1"), { server: "esx1" });
    assert.match(err.message, /Unsupported version URI/);
  });
});

describe("network error mapping", () => {
  it("says which server could not be reached and why", () => {
    const refused = networkError(
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      "esx1",
      443,
    );
    assert.ok(refused instanceof VsphereNetworkError);
    assert.equal(refused.code, "network");
    assert.match(refused.message, /^cannot reach esx1:443 \(ECONNREFUSED\)/);
    assert.match(refused.hint ?? "", /port/);
    for (const code of ["ETIMEDOUT", "EHOSTUNREACH"]) {
      const err = networkError(Object.assign(new Error(code), { code }), "esx1", 443);
      assert.match(err.message, new RegExp(`^cannot reach esx1:443 \\(${code}\\)`));
    }
    const reset = networkError(
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      "esx1",
      443,
    );
    assert.match(reset.message, /connection to esx1:443 was cut \(ECONNRESET\)/);
    const dns = networkError(Object.assign(new Error("getaddrinfo"), { code: "ENOTFOUND" }), "nohost", 443);
    assert.match(dns.message, /cannot resolve the host name nohost/);
  });
});
