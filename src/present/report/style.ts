/**
 * The report's stylesheet: system fonts only, light and dark colour schemes (the charts keep their white
 * card in both), tables that scroll sideways on narrow screens, and a print layout without page-split rows.
 */
export const REPORT_CSS = `
:root { color-scheme: light dark; --fg: #1d2129; --muted: #5b6270; --bg: #ffffff; --panel: #f5f6f8;
  --line: #d9dce1; --accent: #2f5f8f; --high: #b42318; --medium: #b54708; --low: #366a2e; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e4e6ea; --muted: #a3a9b4; --bg: #15171b; --panel: #1f2228; --line: #363a42;
    --accent: #8ab4e0; --high: #ff8a80; --medium: #ffb870; --low: #9bd28f; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header, main, footer { max-width: 1260px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
.lead, .note, footer { color: var(--muted); }
footer { font-size: 13px; padding-bottom: 24px; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 0 0 16px; }
.figures div { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px;
  min-width: 150px; }
.figures dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.figures dd { margin: 0; font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.chart { margin: 0 0 20px; background: #ffffff; border: 1px solid var(--line); border-radius: 6px;
  padding: 6px; color: #1d2129; }
.chart svg { display: block; width: 100%; height: auto; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin-bottom: 8px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--panel); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.name { overflow-wrap: break-word; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 13px; }
.time { white-space: nowrap; }
#captures .name { min-width: 16em; }
.message { overflow-wrap: anywhere; min-width: 240px; }
.error { color: var(--high); font-family: inherit; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; font-size: 12px; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 13px; font-weight: 600;
  border: 1px solid currentColor; }
.sev-high { color: var(--high); } .sev-medium { color: var(--medium); } .sev-low { color: var(--low); }
.sev-other { color: var(--muted); }
@media print {
  body { font-size: 11pt; } .chart, tr { break-inside: avoid; } h2 { break-after: avoid; }
}
`;
