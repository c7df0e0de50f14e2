/**
 * The dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * the demo web app: it refuses without a token, loads with one, draws the seeded history, and
 * a run started from its button completes and appears.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { ADMIN_TOKEN, cliOk, DemoWeb, seededApp } from './admin-app';

const CHROMIUM = '/usr/bin/chromium';

describe('backup dashboard (headless Chromium)', () => {
  let app: Awaited<ReturnType<typeof seededApp>>;
  let web: DemoWeb & { url: string };
  let browser: Browser;
  let page: Page;

  const auditRecords = () =>
    fs
      .readFileSync(path.join(app.dir, 'storage/audit', `${app.env.APP_NAME}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  const listed = async () => JSON.parse(await cliOk(['backup:list', '--json'], app.env, app.dir))[0];

  beforeAll(async () => {
    // A missing browser is a failure with the fix, never a skipped test.
    if (!fs.existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium (apt-get update && apt-get install -y chromium) to run the dashboard test`,
      );
    // History to draw: three runs, a verify and a test restore.
    app = await seededApp('admin-dashboard', 3);
    await cliOk(['backup:verify'], app.env, app.dir);
    await cliOk(['backup:verify', '--test-restore'], app.env, app.dir);
    web = await DemoWeb.start(app.env, app.dir);
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // A phone's screen.
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    app?.cleanup();
  });

  it('asks for the token and shows no data without it, nor with a wrong one', async () => {
    await page.goto(web.url);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.isHidden('#app')).toBe(true);
    expect(await page.locator('#disks tbody tr').count()).toBe(0);

    await page.fill('#token-input', 'w'.repeat(40));
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#login-message:has-text("The token was refused")');
    expect(await page.isHidden('#app')).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('nestBackupAdminToken')")).toBeNull();
  });

  it('loads with the token: the disk, its newest backup and age, health, used storage; readable on a phone', async () => {
    await page.fill('#token-input', ADMIN_TOKEN);
    await page.click('#token-form button[type=submit]');
    const row = page.locator('#disks tbody tr[data-disk="local"]');
    await row.waitFor();
    const cli = await listed();
    expect(await row.locator('.newest').textContent()).toBe(cli.newestBackup.split('/').pop());
    expect(await row.locator('.count').textContent()).toBe(String(cli.count));
    expect(await row.locator('.used').textContent()).toBe(cli.usedStorage);
    expect(await row.locator('.age').textContent()).toMatch(/days? \(\d+ (second|minute)s? ago\)/);
    expect(await page.textContent('#health')).toBe('Healthy');
    // Nothing wider than the phone's screen.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  });

  it('charts the seeded history from the audit trail: size and duration per run, verify and test-restore outcomes', async () => {
    const runs = auditRecords().filter((r) => r.operation === 'run');
    await page.waitForSelector('#size-chart svg rect');
    const sizes = await page.locator('#size-chart rect').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(sizes).toEqual(runs.map((r) => r.sizeBytes));
    const durations = await page.locator('#duration-chart rect').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(durations).toEqual(runs.map((r) => r.durationMs));
    const dots = await page
      .locator('#verify-chart circle')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}:${e.getAttribute('data-outcome')}`));
    expect(dots).toEqual(['verify:success', 'test-restore:success']);
  });

  it('starts a run from its button; the run completes and appears in the table, the charts and backup:list', async () => {
    const before = await listed();
    await page.click('#run-button');
    await page.waitForSelector('#job[data-state="succeeded"]', { timeout: 60_000 });
    const after = await listed();
    expect(after.count).toBe(before.count + 1);
    const row = page.locator('#disks tbody tr[data-disk="local"]');
    // (Browser-side code as text: the tests compile without the DOM's types.)
    await page.waitForFunction(`document.querySelector('#disks tbody tr[data-disk="local"] .count')?.textContent === '${after.count}'`);
    expect(await row.locator('.newest').textContent()).toBe(after.newestBackup.split('/').pop());
    expect(await page.textContent('#job')).toContain(`Stored ${after.newestBackup}`);
    expect(await page.locator('#size-chart rect').count()).toBe(auditRecords().filter((r) => r.operation === 'run').length);
    const run = auditRecords()
      .filter((r) => r.operation === 'run')
      .pop();
    expect(run).toMatchObject({ backupName: after.newestBackup, details: expect.objectContaining({ caller: 'token' }) });
  });

  it('keeps the token for the tab: a reload shows the data without asking again', async () => {
    await page.reload();
    await page.locator('#disks tbody tr[data-disk="local"]').waitFor();
    expect(await page.isHidden('#login')).toBe(true);
  });
});
