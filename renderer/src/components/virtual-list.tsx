/**
 * A fixed-row-height virtual list: only the rows in view (plus a few either side) are in the DOM,
 * positioned over a spacer as tall as all of them, so 1,000 or 100,000 rows scroll alike.
 */
import { useEffect, useLayoutEffect, useRef, useState, type HTMLAttributes, type ReactNode } from "react";

export interface VirtualListProps<T> extends Omit<HTMLAttributes<HTMLDivElement>, "children"> {
  items: readonly T[];
  rowHeight: number;
  /** Used until the element has a measured height (and where layout is not measured, as in tests). */
  fallbackHeight?: number;
  overscan?: number;
  /** Scrolled into view whenever it changes: the row keyboard focus is on. */
  activeIndex?: number;
  getKey(item: T, index: number): string;
  renderRow(item: T, index: number): ReactNode;
}

export function VirtualList<T>(props: VirtualListProps<T>) {
  const {
    items,
    rowHeight,
    fallbackHeight = 480,
    overscan = 6,
    activeIndex,
    getKey,
    renderRow,
    ...rest
  } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const measured = useMeasuredHeight(ref);
  const height = measured > 0 ? measured : fallbackHeight;

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || activeIndex === undefined || activeIndex < 0) return;
    const top = activeIndex * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + height) el.scrollTop = top + rowHeight - height;
    setScrollTop(el.scrollTop);
  }, [activeIndex, rowHeight, height]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i];
    if (item === undefined) continue;
    rows.push(
      <div key={getKey(item, i)} className="vrow" style={{ top: i * rowHeight, height: rowHeight }}>
        {renderRow(item, i)}
      </div>,
    );
  }
  return (
    <div
      {...rest}
      ref={ref}
      className={`vlist ${rest.className ?? ""}`}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div className="vlist-spacer" style={{ height: items.length * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}

function useMeasuredHeight(ref: React.RefObject<HTMLDivElement | null>): number {
  const [height, setHeight] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight);
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return height;
}
