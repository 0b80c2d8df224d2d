/** What the options page saves under `settings` in chrome.storage.local. */
export interface Settings {
  theme: { accent: string };
}

/**
 * The accent colour the popup paints its header with. A profile that never opened the options
 * page has no `theme` saved, and this read throws a TypeError there: the fix bench's
 * "property read of undefined" bug, kept in the demo so the local loop can fix it for real.
 */
export function accentColour(settings: Settings): string {
  return settings.theme.accent;
}
