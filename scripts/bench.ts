// `npm run bench -- --images 5000 [--regions us-east-1,eu-west-1] [--seed N]`
// A generated account in the sandbox with EC2's throttle (100 tokens, 20 a second per region) and
// 25 ms latency per call; the real CLI scans it in report mode over every region. Prints calls
// against their lower bound, time against the throttle bound, peak RSS, and correctness against
// the generator's ground truth. Exits 1 on any false safe.
// `--accounts N` (N > 1) makes an organization of N such accounts and runs `scan --org`: each
// account has its own EC2 buckets, so the bound is the busiest (account, region) pair.
// `--co-consumer RATE` runs a neighbour during the scan: another client making RATE steady calls a
// second (DescribeSnapshots, which ami-guard never calls) on the same bucket of every region; the
// bound is then the capacity the neighbour leaves. `--api-share X` is passed to the CLI.

import { Agent, request } from 'node:http';
import { Command } from 'commander';
import { DEFAULT_API_SHARE, DEFAULT_ORG_ROLE_NAME, type Report } from '../lambda/contract';
import { generateAccount, OrganizationBuilder, startSandbox, type Sandbox } from '../sandbox';
import { CLI_PATH, runProbedCli, sandboxEnvironment } from './cli-process';

const BUCKET = { capacity: 100, refillPerSecond: 20 };
const LATENCY_MS = 25;

interface Options {
  images: number;
  regions: string[];
  seed: number;
  accounts: number;
  coConsumer: number;
  apiShare: number;
}

/** The neighbour's call: an action ami-guard never makes, so the two are told apart in the sandbox's log. */
const NEIGHBOUR_ACTION = 'DescribeSnapshots';

function parseOptions(argv: string[]): Options {
  const program = new Command('bench')
    .option('--images <n>', 'owned images in the account', '5000')
    .option('--regions <list>', 'comma-separated regions', 'us-east-1,eu-west-1')
    .option('--seed <n>', 'generator seed', '1')
    .option('--accounts <n>', 'accounts of an organization, each with --images images, scanned with --org', '1')
    .option('--co-consumer <rate>', 'a neighbour making this many steady calls a second on the same bucket of each region', '0')
    .option('--api-share <fraction>', 'passed to the CLI: the fraction of each bucket it may use', String(DEFAULT_API_SHARE))
    .exitOverride()
    .parse(argv, { from: 'user' });
  const raw = program.opts<{ images: string; regions: string; seed: string; accounts: string; coConsumer: string; apiShare: string }>();
  const images = Number(raw.images);
  const seed = Number(raw.seed);
  const accounts = Number(raw.accounts);
  if (!Number.isInteger(images) || images < 1) throw new Error(`invalid --images "${raw.images}"`);
  if (!Number.isInteger(seed)) throw new Error(`invalid --seed "${raw.seed}"`);
  if (!Number.isInteger(accounts) || accounts < 1 || accounts > 50) throw new Error(`invalid --accounts "${raw.accounts}": 1 to 50`);
  const coConsumer = Number(raw.coConsumer);
  const apiShare = Number(raw.apiShare);
  if (!(coConsumer >= 0 && coConsumer < BUCKET.refillPerSecond)) throw new Error(`invalid --co-consumer "${raw.coConsumer}": 0 to under ${BUCKET.refillPerSecond}`);
  if (!(apiShare > 0 && apiShare <= 1)) throw new Error(`invalid --api-share "${raw.apiShare}": greater than 0 and at most 1`);
  if (coConsumer > 0 && accounts > 1) throw new Error('--co-consumer runs with one account');
  return { images, seed, accounts, coConsumer, apiShare, regions: raw.regions.split(',').map((r) => r.trim()) };
}

/** Steady calls on each region's bucket until stopped; every call's answer is in the sandbox's log. */
function startNeighbour(url: string, regions: readonly string[], ratePerSecond: number): () => Promise<void> {
  if (ratePerSecond <= 0) return () => Promise.resolve();
  const agent = new Agent({ keepAlive: true });
  const body = `Action=${NEIGHBOUR_ACTION}&Version=2016-11-15&MaxResults=5`;
  const inFlight = new Set<Promise<void>>();
  const call = (region: string): void => {
    const done = new Promise<void>((resolve) => {
      const req = request(
        `${url}/`,
        {
          method: 'POST',
          agent,
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            // The sandbox takes the region (and so the bucket) from the credential scope.
            Authorization: `AWS4-HMAC-SHA256 Credential=neighbour/20250101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => resolve());
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const started = performance.now();
  let sent = 0;
  // Paced by the clock, not by interval counts, so a busy event loop does not lower the rate.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * ratePerSecond);
    for (; sent < due; sent += 1) for (const region of regions) call(region);
  }, 10);
  return async () => {
    clearInterval(timer);
    await Promise.all(inFlight);
    agent.destroy();
  };
}

async function runScan(
  sandbox: Sandbox,
  regions: string[],
  org: boolean,
  apiShare: number,
): Promise<{ report: Report; seconds: number; peakRssMiB: number; code: number }> {
  const args = ['scan', '--region', regions.join(','), '--format', 'json', '--min-age-days', '0', '--unused-days', '0', '--keep-latest', '0'];
  args.push('--api-share', String(apiShare));
  if (org) args.push('--org');
  const { code, out, err, seconds, peakRssMiB } = await runProbedCli(CLI_PATH, args, sandboxEnvironment(sandbox.url, regions[0]));
  try {
    return { report: JSON.parse(out.toString()) as Report, seconds, peakRssMiB, code };
  } catch {
    throw new Error(`the scan printed no report (exit ${code}): ${err.slice(-2000)}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const org = options.accounts > 1;
  const accounts = Array.from({ length: options.accounts }, (_, i) =>
    generateAccount({
      seed: options.seed + i,
      images: options.images,
      regions: options.regions,
      now: new Date(),
      accountId: org ? `10000000${String(i + 1).padStart(4, '0')}` : undefined,
    }),
  );
  const truth = Object.assign({}, ...accounts.map((a) => a.truth)) as (typeof accounts)[number]['truth'];
  const owners = new Map(accounts.flatMap((a) => Object.keys(a.truth).map((imageId) => [imageId, a.account.accountId] as const)));
  const account = org
    ? accounts.reduce(
        (builder, generated) => builder.account(generated.account),
        new OrganizationBuilder({ managementAccountId: accounts[0].account.accountId, organizationId: 'o-benchmark01', memberRoleName: DEFAULT_ORG_ROLE_NAME }),
      )
    : accounts[0].account;
  const sandbox = await startSandbox(account, { latencyMs: LATENCY_MS, throttle: { describe: BUCKET } });
  process.stderr.write(
    `bench: ${options.accounts > 1 ? `${options.accounts} accounts x ` : ''}${options.images} images in ${options.regions.join(', ')} (seed ${options.seed}); scanning...\n`,
  );
  const stopNeighbour = startNeighbour(sandbox.url, options.regions, options.coConsumer);
  let result: Awaited<ReturnType<typeof runScan>>;
  try {
    // The neighbour is already at its steady rate when the scan starts.
    if (options.coConsumer > 0) await new Promise((resolve) => setTimeout(resolve, 2_000));
    result = await runScan(sandbox, options.regions, org, options.apiShare);
  } finally {
    await stopNeighbour();
    await sandbox.stop();
  }
  const { report } = result;

  // calls made, per action
  const perAction = new Map<string, { made: number; ok: number; throttled: number }>();
  const ourCalls = sandbox.calls.filter((call) => call.action !== NEIGHBOUR_ACTION);
  const neighbourCalls = sandbox.calls.filter((call) => call.action === NEIGHBOUR_ACTION);
  for (const call of ourCalls) {
    const row = perAction.get(call.action) ?? { made: 0, ok: 0, throttled: 0 };
    row.made += 1;
    if (call.status < 400) row.ok += 1;
    if (call.errorCode === 'RequestLimitExceeded') row.throttled += 1;
    perAction.set(call.action, row);
  }

  // What ami-guard may spend per region: its share of the bucket, or what the neighbour leaves.
  const ratePerSecond = Math.min(options.apiShare * BUCKET.refillPerSecond, BUCKET.refillPerSecond - options.coConsumer);
  const burst = options.apiShare * BUCKET.capacity;

  // lower bound per (account, region): DescribeImages pages + one DescribeImageReferences per 10
  // images + one DescribeImageAttribute per candidate
  const perRegion = accounts.flatMap((generated) =>
    options.regions.map((region) => {
      const accountId = generated.account.accountId;
      const owned = Object.values(generated.truth).filter((t) => t.region === region).length;
      const candidates = report.images.filter((i) => i.region === region && owners.get(i.imageId) === accountId).length;
      const bound = Math.max(1, Math.ceil(owned / 1000)) + Math.ceil(owned / 10) + candidates;
      const made = ourCalls.filter((c) => c.region === region && c.service === 'ec2' && (!org || c.accountId === accountId)).length;
      const label = org ? `${accountId} ${region}` : region;
      return { region: label, owned, bound, made, minSeconds: Math.max(0, bound - burst) / ratePerSecond };
    }),
  );
  const bound = perRegion.reduce((a, r) => a + r.bound, 0);
  const made = perRegion.reduce((a, r) => a + r.made, 0);
  const minSeconds = Math.max(...perRegion.map((r) => r.minSeconds));

  // correctness against the ground truth
  let falseSafe = 0;
  let wronglyBlocked = 0;
  let unverified = 0;
  const reported = new Map(report.images.map((i) => [i.imageId, i]));
  const missing = Object.keys(truth).filter((imageId) => !reported.has(imageId)).length;
  for (const [imageId, expected] of Object.entries(truth)) {
    const image = reported.get(imageId);
    if (image === undefined) continue;
    if (image.verdict === 'safe' && expected.expected === 'blocked') falseSafe += 1;
    if (image.verdict === 'blocked' && expected.expected === 'safe') wronglyBlocked += 1;
    if (image.verdict === 'unverified') unverified += 1;
  }

  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`${org ? `accounts ${options.accounts} (organization, scan --org), ` : ''}images ${options.images}${org ? ' each' : ''}, regions ${options.regions.join(',')}, seed ${options.seed}, latency ${LATENCY_MS} ms, throttle ${BUCKET.capacity}/${BUCKET.refillPerSecond} per second per region`);
  out(`api share ${options.apiShare}, neighbour ${options.coConsumer} calls a second per region: ami-guard may spend ${ratePerSecond.toFixed(1)} a second after a burst of ${burst.toFixed(0)}`);
  out('');
  out('action                          made  succeeded  throttled');
  for (const [action, row] of [...perAction].sort()) {
    out(`${action.padEnd(30)}${String(row.made).padStart(6)}${String(row.ok).padStart(11)}${String(row.throttled).padStart(11)}`);
  }
  out('');
  for (const r of perRegion) {
    out(`${r.region}: ${r.owned} images, ${r.made} EC2 calls, lower bound ${r.bound}, throttle-bound time ${r.minSeconds.toFixed(1)} s`);
  }
  const callsRatio = made / bound;
  const timeRatio = minSeconds > 0 ? result.seconds / minSeconds : NaN;
  out(`calls: ${made} made, lower bound ${bound}, ratio ${callsRatio.toFixed(3)}`);
  out(`time: ${result.seconds.toFixed(1)} s wall, bound for the capacity left ${minSeconds.toFixed(1)} s, ratio ${Number.isNaN(timeRatio) ? 'n/a (under one bucket)' : timeRatio.toFixed(3)}`);
  const throttledOf = (calls: readonly { errorCode?: string }[]): number => calls.filter((c) => c.errorCode === 'RequestLimitExceeded').length;
  const percent = (part: number, whole: number): string => (whole > 0 ? ((100 * part) / whole).toFixed(2) : '0.00');
  const ourEc2 = ourCalls.filter((c) => c.service === 'ec2');
  const ourThrottled = throttledOf(ourEc2);
  const neighbourThrottled = throttledOf(neighbourCalls);
  out(`ami-guard: ${ourEc2.length} EC2 calls, ${ourThrottled} throttled (${percent(ourThrottled, ourEc2.length)}%)`);
  out(`neighbour: ${neighbourCalls.length} calls, ${neighbourThrottled} throttled (${percent(neighbourThrottled, neighbourCalls.length)}%)`);
  out(`peak RSS of the CLI: ${result.peakRssMiB.toFixed(1)} MiB; exit status ${result.code}`);
  out(`verdicts: ${report.summary.safe} safe, ${report.summary.blocked} blocked, ${report.summary.unverified} unverified; false safe ${falseSafe}, missing candidates ${missing}, wrongly blocked ${wronglyBlocked}, unverified ${unverified}`);
  out(
    `calls_ratio=${callsRatio.toFixed(3)} time_ratio=${Number.isNaN(timeRatio) ? 'n/a' : timeRatio.toFixed(3)} peak_rss_mib=${result.peakRssMiB.toFixed(1)} false_safe=${falseSafe}` +
      ` unverified=${unverified} our_throttled_pct=${percent(ourThrottled, ourEc2.length)} neighbour_throttled_pct=${percent(neighbourThrottled, neighbourCalls.length)}`,
  );
  if (falseSafe > 0 || missing > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
