/**
 * An exported job, downloaded and also shown as text: where downloads are refused (the desktop
 * app's session refuses them today) the user can still select the JSON and copy it elsewhere.
 */
export function ExportedJob(props: { fileName: string; json: string; onClose(): void }) {
  return (
    <section className="card form-grid" aria-label="Exported job">
      <div className="card-header">
        <h3>Exported job</h3>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      <p className="muted">
        Downloaded as {props.fileName}. The same JSON is below: Import on another machine takes either.
      </p>
      <textarea
        aria-label="Exported job JSON"
        className="mono"
        readOnly
        rows={8}
        value={props.json}
        onFocus={(e) => e.target.select()}
      />
    </section>
  );
}
