// Cleanup's re-check right before DeregisterImage: something that starts using an image after the
// run gathered its evidence, but before the deregistration, must stop it.

import { createAwsGateway, type AwsGateway } from '../../lambda/aws/gateway';
import { DEFAULT_POLICY, type RunConfig } from '../../lambda/contract';
import { run } from '../../lambda/run';
import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';

const IMAGE = 'ami-0000000000000a001';
const saved = { ...process.env };
let sandbox: Sandbox;

const cleanup: RunConfig = {
  command: 'check',
  imageIds: [IMAGE],
  regions: ['us-east-1'],
  mode: 'cleanup',
  trigger: 'manual',
  policy: DEFAULT_POLICY,
  graceDays: 14,
  maxDeregister: 50,
};

beforeEach(async () => {
  const safeSince = new Date(Date.now() - 60 * 86_400_000).toISOString();
  sandbox = await startSandbox(new AccountBuilder('111122223333', { now: new Date() }).image({ id: IMAGE, tags: { 'ami-guard:safe-since': `${safeSince}/${IMAGE}` } }));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
});
afterEach(async () => {
  process.env = { ...saved };
  await sandbox.stop();
});

/** The real gateway, with something happening in the account when ami-guard tags the image. */
function racing(happen: () => void): AwsGateway {
  const gateway = createAwsGateway();
  return {
    ...gateway,
    createTags: async (region, imageId, tags) => {
      await gateway.createTags(region, imageId, tags);
      happen();
    },
  };
}

it.each([
  [
    'a launch configuration',
    (): void => {
      sandbox.state.account.launchConfigurations?.push({
        name: 'late-asg',
        region: 'us-east-1',
        imageId: IMAGE,
        instanceType: 't3.micro',
        createdTime: new Date().toISOString(),
        uuid: '00000000-0000-0000-0000-000000000001',
      });
    },
    'autoscaling:LaunchConfiguration',
  ],
  [
    'an instance',
    (): void => {
      sandbox.state.instances.push({ instanceId: 'i-0000000000000late', region: 'us-east-1', imageId: IMAGE, state: 'pending' });
    },
    'ec2:Instance',
  ],
])('does not deregister an image that %s starts using during the run', async (_what, happen, resourceType) => {
  const report = await run(cleanup, { gateway: racing(happen), now: () => new Date() });
  const [image] = report.images;
  expect(sandbox.state.image(IMAGE)).toBeDefined();
  expect(image.verdict).toBe('blocked');
  expect(image.reasons).toContainEqual(expect.objectContaining({ code: 'referenced', resourceType }));
  expect(image.actions).toContainEqual(expect.objectContaining({ action: 'deregister', outcome: 'skipped' }));
  expect(sandbox.state.image(IMAGE)?.deregistrationProtection).toBe('enabled-without-cooldown');
});

it('deregisters when nothing changed', async () => {
  const report = await run(cleanup, { gateway: racing(() => undefined), now: () => new Date() });
  expect(report.summary.deregistered).toBe(1);
  expect(sandbox.state.image(IMAGE)).toBeUndefined();
});
