// Tag keys that are Object prototype names, read through the real SDK from the sandbox: a Recycle
// Bin rule for the tag `constructor` covers only images tagged so, and a tag named `__proto__`
// is a tag like any other.

import { createAwsGateway } from '../../lambda/aws/gateway';
import { DEFAULT_POLICY, type RunConfig } from '../../lambda/contract';
import { run } from '../../lambda/run';
import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const UNTAGGED = id(1);
const TAGGED_CONSTRUCTOR = id(2);
const TAGGED_PROTO = id(3);
const DAY = 86_400_000;

let sandbox: Sandbox;
const saved = { ...process.env };

beforeAll(async () => {
  const old = new Date(Date.now() - 400 * DAY);
  const account = new AccountBuilder('111122223333', { now: new Date() })
    .image({ id: UNTAGGED, creationDate: old })
    .image({ id: TAGGED_CONSTRUCTOR, creationDate: old, tags: [{ key: 'constructor', value: 'yes' }] })
    .image({ id: TAGGED_PROTO, creationDate: old, tags: [{ key: '__proto__', value: 'keep' }] })
    .recycleBinRule({ retentionDays: 30, resourceTags: [{ key: 'constructor' }] });
  sandbox = await startSandbox(account);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});
afterAll(async () => {
  process.env = saved;
  await sandbox.stop();
});

const scan = (excludeTag: string): RunConfig => ({
  command: 'scan',
  imageIds: [],
  regions: ['us-east-1'],
  mode: 'report',
  trigger: 'cli',
  policy: { ...DEFAULT_POLICY, minAgeDays: 0, unusedDays: 0, keepLatest: 0, excludeTag },
  graceDays: 14,
  maxDeregister: 50,
  requireRecycleBin: true,
});

it('a Recycle Bin rule for the tag `constructor` covers only the image tagged so', async () => {
  const report = await run(scan('ami-guard:keep'), { gateway: createAwsGateway(), now: () => new Date() });
  const recoverable = Object.fromEntries(report.images.map((image) => [image.imageId, image.recycleBin.recoverable]));
  expect(recoverable).toEqual({ [UNTAGGED]: false, [TAGGED_CONSTRUCTOR]: true, [TAGGED_PROTO]: false });
});

it('the exclusion tag `__proto__` excludes only the image that carries it', async () => {
  const report = await run(scan('__proto__'), { gateway: createAwsGateway(), now: () => new Date() });
  expect(report.images.map((image) => image.imageId).sort()).toEqual([UNTAGGED, TAGGED_CONSTRUCTOR]);
});
