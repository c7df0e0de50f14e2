import { DASHBOARD_SCRIPT } from './dashboard.script';

const STYLE = `
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
  body { margin: 0; padding: 12px; max-width: 960px; margin-inline: auto; }
  h1 { font-size: 1.3rem; margin: 0 0 8px; }
  h2 { font-size: 1.05rem; margin: 0 0 8px; }
  section { background: #fff; border-radius: 8px; padding: 12px; margin-bottom: 12px; box-shadow: 0 1px 2px #0001; }
  .grid { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); }
  table { width: 100%; border-collapse: collapse; font-size: .92rem; }
  th, td { text-align: left; padding: 6px 4px; border-bottom: 1px solid #e4e6eb; }
  .table-wrap { overflow-x: auto; }
  .ok { color: #137333; } .bad { color: #b3261e; }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; }
  .badge.ok { background: #e6f4ea; } .badge.bad { background: #fce8e6; }
  svg { width: 100%; height: auto; }
  .bar.success { fill: #3b82f6; } .bar.partial { fill: #f59e0b; } .bar.failure { fill: #ef4444; }
  .dot.success { fill: #22c55e; } .dot.failure { fill: #ef4444; }
  .caption { font-size: 10px; fill: #5f6368; }
  .empty { color: #5f6368; font-style: italic; }
  button, input { font-size: 1rem; padding: 8px 12px; border-radius: 6px; border: 1px solid #c4c7cc; }
  button { background: #1a73e8; color: #fff; border: none; cursor: pointer; }
  button.secondary { background: #e8eaed; color: #1d2330; }
  button:disabled { opacity: .5; }
  progress { width: 100%; }
  header { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; justify-content: space-between; margin-bottom: 12px; }
`;

/**
 * The dashboard: a static page (no framework, no build step) that asks for the token, keeps it
 * in sessionStorage and calls the API with it; it holds no data itself, so it is served
 * without authentication.
 */
export function dashboardPage(appName: string): string {
  const title = `Backups — ${escapeHtml(appName)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${title}</h1><span id="health" class="badge">…</span></header>
<section id="login" hidden>
  <h2>Sign in</h2>
  <p id="login-message"></p>
  <form id="token-form"><input id="token-input" type="password" autocomplete="off" placeholder="Admin token" aria-label="Admin token"> <button type="submit">Open</button></form>
</section>
<main id="app" hidden>
  <section>
    <header><h2>Disks</h2><span><button id="run-button">Start a backup run</button> <button id="refresh-button" class="secondary">Refresh</button> <button id="logout-button" class="secondary">Forget token</button></span></header>
    <p id="error" class="bad"></p>
    <div class="table-wrap"><table id="disks"><thead><tr><th>Disk</th><th>Health</th><th>Newest backup</th><th>Age</th><th>#</th><th>Used</th></tr></thead><tbody></tbody></table></div>
    <ul id="health-reasons" class="bad"></ul>
  </section>
  <section><h2>Job</h2><div id="job"></div></section>
  <div class="grid">
    <section><h2>Archive size per run</h2><div id="size-chart"></div></section>
    <section><h2>Duration per run</h2><div id="duration-chart"></div></section>
    <section><h2>Verify and test-restore outcomes</h2><div id="verify-chart"></div></section>
  </div>
  <p id="updated" class="empty"></p>
</main>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
