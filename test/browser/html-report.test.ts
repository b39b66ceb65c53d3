// The HTML report in a real browser: Debian's chromium driven by playwright-core. The screenshots
// go to test-output/ (git-ignored).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createAwsGateway } from '../../lambda/aws/gateway';
import { DEFAULT_POLICY, type Report } from '../../lambda/contract';
import { renderHtml } from '../../lambda/report/html';
import { run } from '../../lambda/run';
import { generateAccount, startSandbox } from '../../sandbox';
import { HOSTILE_NAME, reportOf } from '../unit/report-fixture';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(__dirname, '..', '..', 'test-output');
const REGIONS = ['us-east-1', 'eu-west-1'];

let browser: Browser;

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

/** Opens the report as a file; every console error, page error and request is collected. */
async function open(report: Report, name: string): Promise<{ page: Page; problems: string[]; requests: string[]; renderMs: number }> {
  const file = join(OUTPUT, `${name}.html`);
  writeFileSync(file, renderHtml(report));
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) requests.push(request.url());
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
  await page.waitForSelector('html[data-graph-ms]');
  // from navigation start to the table and the first graph drawn, as the page measured it
  const marks = [await page.getAttribute('html', 'data-ready-ms'), await page.getAttribute('html', 'data-graph-ms')].map(Number);
  return { page, problems, requests, renderMs: Math.max(...marks) };
}

async function demoReport(): Promise<Report> {
  const generated = generateAccount({ seed: 1, images: 200, regions: REGIONS, now: new Date() });
  const sandbox = await startSandbox(generated.account, { latencyMs: 0 });
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  try {
    return await run(
      { command: 'scan', imageIds: [], regions: REGIONS, mode: 'report', trigger: 'cli', policy: DEFAULT_POLICY, graceDays: 14, maxDeregister: 50 },
      // the whole of each EC2 bucket: the sandbox has no other client, and pacing is not this test's subject
      { gateway: createAwsGateway({ apiShare: 1 }), now: () => new Date() },
    );
  } finally {
    process.env = saved;
    await sandbox.stop();
  }
}

it("shows the demo account's report: no console error, the graph drawn, the table filtered", async () => {
  const report = await demoReport();
  expect(report.summary.blocked).toBeGreaterThan(0);
  expect(report.summary.safe).toBeGreaterThan(0);
  const { page, problems, requests } = await open(report, 'demo-account');
  try {
    // the graph: one circle per image node, coloured by verdict, and edges between them
    const circles = await page.locator('#graphs svg.lineage circle').count();
    expect(circles).toBeGreaterThan(0);
    expect(await page.locator('#graphs svg.lineage path.edge').count()).toBeGreaterThan(0);
    const fills = await page.locator('#graphs svg.lineage g.node.image circle').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('fill')));
    expect(new Set(fills).size).toBeGreaterThan(1);

    // filtering: only blocked rows remain, and their count is the report's
    await page.selectOption('#filter-verdict', 'blocked');
    // every matching row on the page: "show more" is there only when rows are held back (a click on a
    // hidden button would wait out playwright's 30 s timeout)
    if (await page.locator('#show-more').isVisible()) await page.click('#show-more');
    const verdicts = await page.locator('#images-body tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')));
    expect(verdicts.length).toBeGreaterThan(0);
    expect(new Set(verdicts)).toEqual(new Set(['blocked']));
    expect(await page.textContent('#shown-count')).toContain(`of ${report.summary.blocked} matching images`);

    // a click on an image in the graph finds it in the table
    await page.click('#filter-reset');
    const node = page.locator('#graphs g.node.image').first();
    const imageId = await node.getAttribute('data-image');
    await node.click();
    expect(await page.inputValue('#filter-text')).toBe(imageId);
    expect(await page.locator('#images-body tr').count()).toBe(1);

    await page.click('#filter-reset');
    await page.mouse.wheel(0, -100_000);
    await page.screenshot({ path: join(OUTPUT, 'demo-account-report.png'), fullPage: false });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
  } finally {
    await page.close();
  }
}, 180_000);

it('renders a 3000-image report within 3 s, and no image name runs as script', async () => {
  const report = reportOf(3000);
  const { page, problems, requests, renderMs } = await open(report, 'large-account');
  try {
    expect(renderMs).toBeLessThan(3000);
    expect(await page.locator('#graphs details.family').count()).toBe(6);
    expect(await page.textContent('#shown-count')).toContain('of 3000 matching images');
    // the hostile name is shown as text where it appears, and nothing it holds ran
    await page.fill('#filter-text', 'pwned');
    expect(await page.locator('#images-body tr').count()).toBe(1);
    expect(await page.textContent('#images-body tr')).toContain(HOSTILE_NAME);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    await page.screenshot({ path: join(OUTPUT, 'large-account-report.png') });
    process.stdout.write(`3000-image HTML report: ${renderMs} ms from navigation to table and first graph\n`);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
  } finally {
    await page.close();
  }
});
