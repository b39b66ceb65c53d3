// Generated adversarial tests: random accounts, fault schedules and changes made while ami-guard
// runs, against the safety promise (see harness.ts for the properties). Replay a failure with the
// seed and path it prints: FUZZ_SEED=<seed> FUZZ_PATH=<path> npx jest test/fuzz --runInBand
// (or `npm run fuzz -- --seed <seed> --path <path>`); longer runs: `npm run fuzz -- --runs 5000`.
// FUZZ_WITHOUT=organization,member-copies,edits,mid-run,faults,recycle-bin (any of them) leaves those parts out of every case,
// to look past a failure already known; a seed and path replay only under the same FUZZ_WITHOUT.

import fc from 'fast-check';
import { FOUND } from './found';
import { runScenario } from './harness';
import { OPTIONAL_PARTS, scenariosWithout, type OptionalPart } from './world';

jest.mock('@aws-sdk/client-ec2', () => jest.requireActual('./quick-retry').withQuickRetries(jest.requireActual('@aws-sdk/client-ec2'), 'EC2Client'));
jest.mock('@aws-sdk/client-auto-scaling', () =>
  jest.requireActual('./quick-retry').withQuickRetries(jest.requireActual('@aws-sdk/client-auto-scaling'), 'AutoScalingClient'),
);
jest.mock('@aws-sdk/client-batch', () => jest.requireActual('./quick-retry').withQuickRetries(jest.requireActual('@aws-sdk/client-batch'), 'BatchClient'));
jest.mock('@aws-sdk/client-emr', () => jest.requireActual('./quick-retry').withQuickRetries(jest.requireActual('@aws-sdk/client-emr'), 'EMRClient'));
jest.mock('@aws-sdk/client-organizations', () =>
  jest.requireActual('./quick-retry').withQuickRetries(jest.requireActual('@aws-sdk/client-organizations'), 'OrganizationsClient'),
);
jest.mock('@aws-sdk/client-rbin', () => jest.requireActual('./quick-retry').withQuickRetries(jest.requireActual('@aws-sdk/client-rbin'), 'RbinClient'));

const runs = Number(process.env.FUZZ_RUNS ?? 200);
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;
const path = process.env.FUZZ_PATH;
const without = (process.env.FUZZ_WITHOUT ?? '').split(',').filter((part) => part !== '');
for (const part of without) if (!(OPTIONAL_PARTS as readonly string[]).includes(part)) throw new Error(`FUZZ_WITHOUT: unknown part "${part}" (${OPTIONAL_PARTS.join(', ')})`);

it(`keeps every needed image (${runs} generated accounts, fault schedules and mid-run changes${without.length > 0 ? `, without ${without.join(', ')}` : ''})`, async () => {
  await fc.assert(
    fc.asyncProperty(scenariosWithout(without as OptionalPart[]), async (scenario) => {
      const outcome = await runScenario(scenario);
      if (outcome.violations.length > 0) throw new Error(outcome.violations.join('\n'));
    }),
    {
      numRuns: runs,
      ...(seed !== undefined ? { seed } : {}),
      ...(path !== undefined ? { path, endOnFailure: true } : {}),
      verbose: fc.VerbosityLevel.None,
    },
  );
}, 3_600_000);

describe('counterexamples the fuzz found on main (issue 12)', () => {
  it.each(FOUND.map((found) => [`defect ${found.defect}: ${found.name}`, found] as const))('%s', async (_title, found) => {
    const outcome = await runScenario(found.scenario);
    expect(outcome.violations).toEqual([]);
  });
});
