/** A VM's snapshot-chain depth, with a warning or "blocked" badge and the reason as its tooltip. */
import type { ChainView } from "../lib/chain";

export function ChainBadge({ chain, id }: { chain: ChainView; id: string }) {
  const reasonId = `${id}-chain-reason`;
  const text =
    chain.level === "blocked"
      ? `blocked · ${chain.depth} deep`
      : chain.level === "warning"
        ? `⚠ ${chain.depth} deep`
        : `${chain.depth} deep`;
  const tooltip = chain.reason || chain.summary;
  return (
    <span
      className={`badge chain-${chain.level}`}
      title={tooltip}
      aria-describedby={reasonId}
      data-testid="chain-badge"
    >
      <span className="visually-hidden">snapshot chain: </span>
      {text}
      <span id={reasonId} className="visually-hidden">
        {tooltip}
      </span>
    </span>
  );
}
