/** One vim25 SOAP request as the harness sends it: the envelope, and the POST with a session cookie. */
import https from "node:https";
import { exchange, type RawResponse } from "../../support/http-client.js";

export function soapEnvelope(method: string, innerXml: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope ' +
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>' +
    `<${method} xmlns="urn:vim25">${innerXml}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}

export function postSoap(
  sdkUrl: string | URL,
  agent: https.Agent,
  body: string,
  cookie: string | undefined,
): Promise<RawResponse> {
  return exchange(
    (onResponse) =>
      https.request(
        sdkUrl,
        {
          method: "POST",
          agent,
          headers: {
            "Content-Type": "text/xml; charset=utf-8",
            SOAPAction: '"urn:vim25/6.5"',
            ...(cookie ? { Cookie: cookie } : {}),
          },
        },
        onResponse,
      ),
    body,
  );
}
