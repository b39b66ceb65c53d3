// `ami-guard scan`: the policy's candidates, regions in parallel, exit status.

import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { runJson, sandboxEnv } from './harness';

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const daysAgo = (days: number): string => new Date(Date.now() - days * 86_400_000).toISOString();

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const account = new AccountBuilder('111122223333', { now: new Date() })
    // family web: four releases; keep-latest 2 keeps the two newest
    .image({ id: id(1), name: 'web-2025-01-01', creationDate: daysAgo(300) })
    .image({ id: id(2), name: 'web-2025-02-01', creationDate: daysAgo(270) })
    .image({ id: id(3), name: 'web-2025-03-01', creationDate: daysAgo(240) })
    .image({ id: id(4), name: 'web-2025-04-01', creationDate: daysAgo(210) })
    // too young, recently launched, excluded
    .image({ id: id(5), name: 'young-1', creationDate: daysAgo(5) })
    .image({ id: id(6), name: 'busy-1', creationDate: daysAgo(400), lastLaunchedTime: daysAgo(2) })
    .image({ id: id(7), name: 'pinned-1', creationDate: daysAgo(400), tags: { 'ami-guard:keep': 'true' } })
    // family by tag: two names, one family
    .image({ id: id(8), name: 'svc-alpha', creationDate: daysAgo(400), tags: { Family: 'svc' } })
    .image({ id: id(9), name: 'svc-beta', creationDate: daysAgo(300), tags: { Family: 'svc' } })
    // another region, a deprecated image
    .image({ id: id(10), name: 'batch-1', region: 'eu-west-1', creationDate: daysAgo(500), deprecationTime: daysAgo(100) })
    .image({ id: id(11), name: 'batch-2', region: 'eu-west-1', creationDate: daysAgo(400) })
    .instance({ imageId: id(2), state: 'running' })
    .build();
  sandbox = await startSandbox(account);
  env = sandboxEnv(sandbox);
});
afterAll(() => sandbox.stop());

const candidates = (report: { images: readonly { imageId: string }[] }): string[] => report.images.map((i) => i.imageId).sort();

it('selects by age, last launch, family and exclusion tag', async () => {
  const { code, report } = await runJson(['scan', '--keep-latest', '2', '--region', 'us-east-1,eu-west-1'], env);
  expect(code).toBe(0);
  expect(report.summary.imagesScanned).toBe(11);
  // web: 1 and 2 (3, 4 newest); young/busy/pinned never; svc-alpha and svc-beta are separate name families (each its newest);
  expect(candidates(report)).toEqual([id(1), id(2)].sort());
  expect(report.images.find((i) => i.imageId === id(2))?.verdict).toBe('blocked');
  expect(report.regions).toEqual(['us-east-1', 'eu-west-1']);
});

it('groups families by a tag when --family-tag is given', async () => {
  const { report } = await runJson(['scan', '--keep-latest', '1', '--family-tag', 'Family'], env);
  expect(candidates(report)).toContain(id(8));
  expect(candidates(report)).not.toContain(id(9));
});

it('includes deprecated images and honours --min-age-days, --unused-days and --exclude-tag', async () => {
  const { report } = await runJson(
    ['scan', '--keep-latest', '0', '--min-age-days', '0', '--unused-days', '0', '--exclude-tag', 'none', '--region', 'us-east-1,eu-west-1'],
    env,
  );
  expect(candidates(report)).toHaveLength(11);
  const { report: strict } = await runJson(['scan', '--keep-latest', '0', '--min-age-days', '450', '--region', 'eu-west-1'], env);
  expect(candidates(strict)).toEqual([id(10)]);
});

it('exits 1 when some candidate is unverified', async () => {
  sandbox.setFaults([{ action: 'DescribeImageAttribute', code: 'UnauthorizedOperation', status: 403 }]);
  const { code, report } = await runJson(['scan', '--keep-latest', '2'], env);
  sandbox.setFaults([]);
  expect(code).toBe(1);
  expect(report.summary.unverified).toBe(report.summary.candidates);
});
