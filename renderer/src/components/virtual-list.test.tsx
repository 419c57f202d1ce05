import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { VirtualList } from "./virtual-list";

const items = Array.from({ length: 1000 }, (_, i) => `item ${i}`);

function renderList() {
  render(
    <VirtualList
      aria-label="numbers"
      role="list"
      items={items}
      rowHeight={20}
      fallbackHeight={200}
      overscan={5}
      getKey={(item) => item}
      renderRow={(item) => <span role="listitem">{item}</span>}
    />,
  );
  return screen.getByRole("list", { name: "numbers" });
}

describe("VirtualList", () => {
  it("puts only the rows in view (and the overscan) in the DOM, over a spacer as tall as all 1,000", () => {
    const list = renderList();
    const rows = screen.getAllByRole("listitem");
    // 200 px of 20 px rows is 10, plus 5 below: the other 985 are not rendered.
    expect(rows).toHaveLength(15);
    expect(rows[0]?.textContent).toBe("item 0");
    expect(screen.queryByText("item 999")).toBeNull();
    const spacer = list.firstElementChild;
    expect(spacer instanceof HTMLElement ? spacer.style.height : "").toBe("20000px");
  });

  it("renders the rows scrolled to, and drops those scrolled away", () => {
    const list = renderList();
    list.scrollTop = 10_000;
    fireEvent.scroll(list);
    expect(screen.queryByText("item 0")).toBeNull();
    expect(screen.getByText("item 500")).toBeTruthy();
    expect(screen.getByText("item 509")).toBeTruthy();
    const shown = screen.getAllByRole("listitem");
    expect(shown.length).toBeLessThanOrEqual(21);
    // Each row sits where it would in the full list.
    const row500 = screen.getByText("item 500").parentElement;
    expect(row500?.style.top).toBe("10000px");

    list.scrollTop = 19_800;
    fireEvent.scroll(list);
    expect(screen.getByText("item 999")).toBeTruthy();
    expect(screen.queryByText("item 500")).toBeNull();
  });
});
