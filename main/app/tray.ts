/** The tray icon: tray-menu.ts's menu, rebuilt whenever a run starts or ends. */
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from "electron";
import { trayMenu, statusLine, type TrayAction, type TrayState } from "./tray-menu.js";

export class AppTray {
  readonly #tray: Tray;

  constructor(
    icon: string,
    private readonly state: () => TrayState,
    private readonly act: (action: TrayAction) => void,
  ) {
    this.#tray = new Tray(nativeImage.createFromPath(icon).resize({ width: 16, height: 16 }));
    this.#tray.on("click", () => this.act("open"));
    this.refresh();
  }

  refresh(): void {
    const state = this.state();
    const template: MenuItemConstructorOptions[] = trayMenu(state).map((item) => {
      if (item.type === "separator") return { type: "separator" };
      const { action } = item;
      return {
        label: item.label,
        enabled: item.enabled,
        ...(action ? { click: () => this.act(action) } : {}),
      };
    });
    this.#tray.setContextMenu(Menu.buildFromTemplate(template));
    this.#tray.setToolTip(`Snapferry: ${statusLine(state)}`);
  }

  destroy(): void {
    this.#tray.destroy();
  }
}
