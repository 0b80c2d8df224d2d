/**
 * The console's only stylesheet and script, served from its own origin so the CSP can forbid
 * every inline script and style (issue 12, item 1). The script is progressive enhancement only:
 * every page works without it.
 */
export const CONSOLE_CSS = `
:root{color-scheme:light dark;--fg:#1d232a;--muted:#5b6570;--bg:#fff;--line:#d8dee4;--accent:#0b62c4;--bad:#b42318;--ok:#177245;--warn:#9a6700}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9aa7b3;--bg:#0f1419;--line:#30363d;--accent:#58a6ff;--bad:#ff7b72;--ok:#56d364;--warn:#e3b341}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;border-bottom:1px solid var(--line)}
header nav{display:flex;gap:1rem;flex-wrap:wrap}header .brand{font-weight:700}
main{padding:1rem 1.2rem;max-width:1400px}h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.6rem 0 .5rem}
a{color:var(--accent)}a:focus-visible,button:focus-visible,select:focus-visible,input:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.4 ui-monospace,monospace}pre{white-space:pre-wrap;word-break:break-word;border:1px solid var(--line);padding:.5rem;max-height:28rem;overflow:auto}
.muted{color:var(--muted)}.bad{color:var(--bad)}.ok{color:var(--ok)}.warn{color:var(--warn)}
.state{display:inline-block;padding:0 .4rem;border:1px solid currentColor;border-radius:.6rem;font-size:12px}
form.filters{display:flex;gap:.6rem;flex-wrap:wrap;align-items:end;margin-bottom:.8rem}form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
.spark{vertical-align:middle}.spark polyline{fill:none;stroke:var(--accent);stroke-width:1.5}
.chart{max-width:900px;width:100%;height:auto;border:1px solid var(--line)}
.chart .halt{stroke:var(--bad);fill:none;stroke-width:1.5}.chart .safe{stroke:var(--ok);fill:none;stroke-width:1.5}
.chart .threshold-halt{stroke:var(--bad);stroke-dasharray:4 3}.chart .threshold-safe{stroke:var(--ok);stroke-dasharray:4 3}
.chart .axis{stroke:var(--line)}.chart text{fill:var(--muted);font-size:11px}
.frame-app{font-weight:600}.frame-lib{color:var(--muted)}
.banner{border:1px solid var(--warn);padding:.5rem .8rem;margin-bottom:1rem}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.3rem}
`;

export const CONSOLE_JS = `(() => {
  'use strict';
  // Filters apply as soon as a select changes; without JS the Apply button does the same.
  for (const select of document.querySelectorAll('form.filters select')) {
    select.addEventListener('change', () => select.form && select.form.requestSubmit());
  }
  // Times are rendered in UTC on the server; shown in the reader's zone where JS runs.
  for (const t of document.querySelectorAll('time[datetime]')) {
    const d = new Date(t.getAttribute('datetime'));
    if (!Number.isNaN(d.getTime())) t.title = d.toLocaleString();
  }
})();
`;

/** A favicon of our own, so the browser's automatic /favicon.ico request never 404s. */
export const CONSOLE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6" fill="none" stroke="#0b62c4" stroke-width="2"/><path d="M2 8h3l1.5-3 3 6L11 8h3" fill="none" stroke="#0b62c4" stroke-width="1.5"/></svg>`;
