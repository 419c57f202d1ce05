/**
 * Trust on first use: the server's certificate thumbprint, to compare with the one the host shows,
 * and an explicit choice. A changed certificate is a louder warning: it may be an interception.
 */
import type { CertificateFacts } from "../lib/certificate";
import { formatTime } from "../lib/format";

export function CertificatePrompt(props: {
  server: string;
  certificate: CertificateFacts;
  busy?: boolean;
  onAccept(): void;
  onCancel(): void;
}) {
  const { server, certificate: c } = props;
  const changed = c.previous !== undefined && c.previous !== c.thumbprint;
  return (
    <section
      className={`certificate-prompt ${changed ? "danger-box" : "warning-box"}`}
      aria-labelledby="cert-title"
    >
      <h3 id="cert-title">
        {changed ? `The certificate of ${server} has changed` : `Do you trust ${server}?`}
      </h3>
      <p>
        {changed
          ? "Snapferry trusted a different certificate for this server. If it was not renewed on purpose, someone may be intercepting the connection: do not continue."
          : "Snapferry has not connected to this server before. Compare this thumbprint with the one the host shows (ESXi: the DCUI or the host client's certificate page) before you trust it."}
      </p>
      <dl className="facts">
        <dt>SHA-256 thumbprint</dt>
        <dd>
          <code className="thumbprint" data-testid="thumbprint">
            {c.thumbprint}
          </code>
        </dd>
        {changed ? (
          <>
            <dt>Trusted before</dt>
            <dd>
              <code className="thumbprint">{c.previous}</code>
            </dd>
          </>
        ) : null}
        {c.subject ? (
          <>
            <dt>Subject</dt>
            <dd>{c.subject}</dd>
          </>
        ) : null}
        {c.issuer ? (
          <>
            <dt>Issuer</dt>
            <dd>{c.issuer}</dd>
          </>
        ) : null}
        {c.validFrom && c.validTo ? (
          <>
            <dt>Valid</dt>
            <dd>
              {formatTime(c.validFrom)} to {formatTime(c.validTo)}
            </dd>
          </>
        ) : null}
      </dl>
      <div className="form-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className={changed ? "danger" : "primary"}
          disabled={props.busy}
          onClick={props.onAccept}
        >
          {changed ? "Trust the new certificate and connect" : "Trust this certificate and connect"}
        </button>
      </div>
    </section>
  );
}
