/**
 * The few `chrome.*` APIs the SDK touches, typed by hand (`@types/chrome` is not installed).
 * Shapes follow developer.chrome.com/docs/extensions/reference for Manifest V3, where every
 * method used here returns a promise. Tests implement exactly this interface with a stand-in
 * (test/support/fake-chrome.ts), so the SDK can never rely on something the stand-in lacks.
 */

/** A `chrome.events.Event`: listeners plus, for some events, filters after the callback. */
export interface ChromeEvent<F extends (...args: never[]) => unknown> {
  addListener(callback: F, ...filters: unknown[]): void;
  removeListener(callback: F): void;
  hasListener(callback: F): boolean;
}

/** `chrome.storage.StorageArea`; values are JSON-serialisable, as Chrome stores them. */
export interface StorageArea {
  get(keys?: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

export interface Alarm {
  name: string;
  scheduledTime: number;
  periodInMinutes?: number;
}

export interface AlarmCreateInfo {
  when?: number;
  delayInMinutes?: number;
  periodInMinutes?: number;
}

export interface Manifest {
  version: string;
  action?: { default_popup?: string };
  options_page?: string;
  options_ui?: { page?: string };
  side_panel?: { default_path?: string };
  devtools_page?: string;
}

export interface MessageSender {
  id?: string;
  url?: string;
  tab?: { id?: number };
  frameId?: number;
}

export type MessageListener = (
  message: unknown,
  sender: MessageSender,
  sendResponse: (response?: unknown) => void,
) => unknown;

export interface ChromeApi {
  runtime: {
    id: string;
    /** Set only while a callback of a failed callback-style call runs. */
    lastError?: { message?: string } | undefined;
    getManifest(): Manifest;
    getURL(path: string): string;
    sendMessage(message: unknown): Promise<unknown>;
    onMessage: ChromeEvent<MessageListener>;
  };
  storage: {
    local: StorageArea;
    /** In memory, cleared when the browser or the extension restarts (Chrome 102+). */
    session?: StorageArea;
  };
  /** Needs the `alarms` permission; absent in content scripts. */
  alarms?: {
    create(name: string, info: AlarmCreateInfo): Promise<void>;
    clear(name: string): Promise<boolean>;
    get(name: string): Promise<Alarm | undefined>;
    onAlarm: ChromeEvent<(alarm: Alarm) => void>;
  };
}
