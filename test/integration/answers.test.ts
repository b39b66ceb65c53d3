// AWS answers that are not what the API promises, through the real SDK against the sandbox: an
// answer without its list, a member that does not parse, a continuation token that repeats. Each
// is a failed check for the images it touches, never an empty result or a dropped link.

import { createAwsGateway } from '../../lambda/aws/gateway';
import { createOrganizationGateway } from '../../lambda/aws/organization';
import { DEFAULT_POLICY, type Report, type RunConfig } from '../../lambda/contract';
import { run } from '../../lambda/run';
import { AccountBuilder, OrganizationBuilder, startSandbox, type Sandbox } from '../../sandbox';

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const ACCOUNT = '111122223333';
const DAY = 86_400_000;

const PARENT = id(1);
const RUNNING_COPY = id(2);
const IN_LAUNCH_CONFIG = id(3);
const PLAIN = id(4);
const EU_PARENT = id(5);
const EU_COPY = id(6);
const FOREIGN = id(7);
const FROM_FOREIGN = id(8);
const SHARED = id(9);

const saved = { ...process.env };
const useSandbox = (sandbox: Sandbox): void => {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
};
afterAll(() => {
  process.env = saved;
});

const config = (imageIds: readonly string[], regions = ['us-east-1', 'eu-west-1']): RunConfig => ({
  command: imageIds.length > 0 ? 'check' : 'scan',
  imageIds,
  regions,
  mode: 'report',
  trigger: 'cli',
  policy: { ...DEFAULT_POLICY, minAgeDays: 0, unusedDays: 0, keepLatest: 0 },
  graceDays: 14,
  maxDeregister: 50,
});
const entry = (report: Report, imageId: string) => {
  const found = report.images.find((image) => image.imageId === imageId);
  if (found === undefined) throw new Error(`${imageId} is not in the report`);
  return found;
};
const checkFailed = (check: string, message: RegExp | string = /./) =>
  expect.arrayContaining([expect.objectContaining({ code: 'check-failed', check, message: expect.stringMatching(message) })]);

/** Rewrites one XML element's text in an EC2 answer. */
const replaceElement = (name: string, from: string, to: string) => (body: string): string =>
  body.split(`<${name}>${from}</${name}>`).join(`<${name}>${to}</${name}>`);

describe('one account', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    const old = new Date(Date.now() - 400 * DAY);
    const account = new AccountBuilder(ACCOUNT, { now: new Date() })
      .image({ id: PARENT, creationDate: old })
      .image({ id: RUNNING_COPY, sourceImageId: PARENT, creationDate: old })
      .instance({ imageId: RUNNING_COPY, state: 'running' })
      .image({ id: IN_LAUNCH_CONFIG, creationDate: old })
      .launchConfiguration({ imageId: IN_LAUNCH_CONFIG })
      .image({ id: PLAIN, creationDate: old })
      .image({ id: EU_PARENT, region: 'eu-west-1', creationDate: old })
      .image({ id: EU_COPY, region: 'eu-west-1', sourceImageId: EU_PARENT, creationDate: old })
      .instance({ imageId: EU_COPY, region: 'eu-west-1', state: 'running' })
      .foreignImage({ id: FOREIGN, ownerAlias: 'amazon' })
      .image({ id: FROM_FOREIGN, sourceImageId: FOREIGN, creationDate: old })
      .image({ id: SHARED, creationDate: old, launchPermissions: [{ userId: '444455556666' }] });
    sandbox = await startSandbox(account);
    useSandbox(sandbox);
  });
  afterAll(() => sandbox.stop());
  afterEach(() => sandbox.setTampering([]));

  it('serves a tampered answer and records the call as tampered (sandbox feature)', async () => {
    sandbox.setTampering([{ service: 'ec2', action: 'DescribeImages', rewrite: replaceElement('imageId', PLAIN, 'AMI-TAMPERED'), times: 1 }]);
    sandbox.clearCalls();
    const images = await createAwsGateway().describeOwnedImages('us-east-1').catch((error: Error) => error.message);
    expect(images).toMatch(/malformed DescribeImages answer: an image ID "AMI-TAMPERED" is not an AMI ID/);
    expect(sandbox.calls[0]).toMatchObject({ action: 'DescribeImages', injected: 'tamper' });
    expect((await createAwsGateway().describeOwnedImages('us-east-1')).length).toBe(6);
  });

  it('does not clear the ancestor of a running image whose SourceImageId comes in another case', async () => {
    sandbox.setTampering([{ service: 'ec2', action: 'DescribeImages', rewrite: replaceElement('sourceImageId', PARENT, PARENT.toUpperCase()) }]);
    const report = await run(config([]), { gateway: createAwsGateway(), now: () => new Date() });
    const parent = entry(report, PARENT);
    expect(parent.verdict).toBe('unverified');
    expect(parent.reasons).toEqual(checkFailed('ancestry', /source image .* does not parse/));
    // the copy itself runs: blocked for that, and its own lineage link cannot be read
    expect(entry(report, RUNNING_COPY).verdict).toBe('unverified');
    expect(entry(report, RUNNING_COPY).reasons).toEqual(checkFailed('ancestry', `"${PARENT.toUpperCase()}"`));
    // a candidate of a region the unreadable link cannot point to is still decided
    expect(entry(report, EU_PARENT).verdict).toBe('blocked');
  });

  it('fails closed for every candidate when the SourceImageRegion of a link does not parse either', async () => {
    sandbox.setTampering([
      {
        service: 'ec2',
        action: 'DescribeImages',
        rewrite: (body) => replaceElement('sourceImageId', EU_PARENT, 'ami-XYZ')(body).replace(/<sourceImageRegion>eu-west-1<\/sourceImageRegion>/g, '<sourceImageRegion>EU-WEST-1</sourceImageRegion>'),
      },
    ]);
    const report = await run(config([]), { gateway: createAwsGateway(), now: () => new Date() });
    for (const image of [PARENT, PLAIN, EU_PARENT]) {
      expect(entry(report, image).verdict).toBe('unverified');
      expect(entry(report, image).reasons).toEqual(checkFailed('ancestry', /may be a copy of this image/));
    }
  });

  it('fails the extra source, not the match, when a launch configuration names an image in another case', async () => {
    sandbox.setTampering([
      { service: 'autoscaling', action: 'DescribeLaunchConfigurations', rewrite: replaceElement('ImageId', IN_LAUNCH_CONFIG, IN_LAUNCH_CONFIG.toUpperCase()) },
    ]);
    const report = await run(config([IN_LAUNCH_CONFIG], ['us-east-1']), { gateway: createAwsGateway(), now: () => new Date() });
    const image = entry(report, IN_LAUNCH_CONFIG);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toEqual(checkFailed('autoscaling:LaunchConfiguration', /is not an AMI ID/));
  });

  it('fails the ancestry check when GetImageAncestry names a region that does not parse', async () => {
    sandbox.setTampering([{ service: 'ec2', action: 'GetImageAncestry', rewrite: (body) => body.replace(/<sourceImageRegion>us-east-1<\/sourceImageRegion>/, '<sourceImageRegion>US-EAST-1</sourceImageRegion>') }]);
    const report = await run(config([FROM_FOREIGN], ['us-east-1']), { gateway: createAwsGateway(), now: () => new Date() });
    expect(entry(report, FROM_FOREIGN).verdict).toBe('unverified');
    expect(entry(report, FROM_FOREIGN).reasons).toEqual(checkFailed('ancestry', /"US-EAST-1" is not an AWS region name/));
  });

  it('fails the launch-permission check on a grantee that does not parse', async () => {
    sandbox.setTampering([{ service: 'ec2', action: 'DescribeImageAttribute', rewrite: (body) => body.replace('<userId>444455556666</userId>', '<userId>44445555666</userId>') }]);
    const report = await run(config([SHARED], ['us-east-1']), { gateway: createAwsGateway(), now: () => new Date() });
    expect(entry(report, SHARED).verdict).toBe('unverified');
    expect(entry(report, SHARED).reasons).toEqual(checkFailed('launch-permissions', /"44445555666" is not a 12-digit account ID/));
  });

  it('names the failed listing, not ownership, for an image checked while DescribeImages is denied', async () => {
    sandbox.setFaults([{ service: 'ec2', action: 'DescribeImages', code: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.' }]);
    try {
      const report = await run(config([PLAIN], ['us-east-1']), { gateway: createAwsGateway(), now: () => new Date() });
      const image = entry(report, PLAIN);
      expect(image.verdict).toBe('unverified');
      expect(image.reasons).toEqual([
        expect.objectContaining({ code: 'check-failed', check: 'inventory', message: expect.stringMatching(/images of us-east-1 could not be listed: UnauthorizedOperation/) }),
      ]);
      expect(JSON.stringify(image.reasons)).not.toContain('is not an image this account owns');
    } finally {
      sandbox.setFaults([]);
    }
  });
});

describe('an answer that repeats its token forever', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // More images than one page of DescribeImages (1000) holds, so the read asks for a second page.
    const account = new AccountBuilder(ACCOUNT, { now: new Date() });
    for (let n = 1; n <= 1001; n += 1) account.image({ id: id(0x1000 + n), creationDate: new Date(Date.now() - 400 * DAY) });
    sandbox = await startSandbox(account);
    useSandbox(sandbox);
  });
  afterAll(() => sandbox.stop());

  it('ends the run with the region unverified instead of paging forever', async () => {
    // Every later page names the token it was asked with: a valid token that never advances.
    sandbox.setTampering([
      {
        service: 'ec2',
        action: 'DescribeImages',
        match: (params) => typeof params.NextToken === 'string',
        rewrite: (body, params) => `${body.replace(/<nextToken>[^<]*<\/nextToken>/, '')}`.replace('</imagesSet>', `</imagesSet><nextToken>${String(params.NextToken)}</nextToken>`),
      },
    ]);
    const report = await run(config([id(0x1001)], ['us-east-1']), { gateway: createAwsGateway(), now: () => new Date() });
    expect(report.errors).toContainEqual(expect.objectContaining({ check: 'inventory', region: 'us-east-1', message: expect.stringContaining('repeats an earlier continuation token') }));
    expect(entry(report, id(0x1001)).verdict).toBe('unverified');
    expect(sandbox.calls.filter((call) => call.action === 'DescribeImages').length).toBeLessThan(5);
  }, 30_000);
});

describe('an organization', () => {
  const TOOLING = '111111111111';
  const MEMBER = '222222222222';
  const OU = 'ou-ab12-workload1';
  let sandbox: Sandbox;
  beforeAll(async () => {
    const organization = new OrganizationBuilder({ managementAccountId: TOOLING, organizationId: 'o-exampleorgid', memberRoleName: 'ami-guard-member' })
      .ou({ id: OU })
      .account(new AccountBuilder(TOOLING))
      .account(new AccountBuilder(MEMBER), { ouId: OU });
    sandbox = await startSandbox(organization);
    useSandbox(sandbox);
    process.env.AWS_REGION = 'us-east-1';
  });
  afterAll(() => sandbox.stop());
  afterEach(() => sandbox.setTampering([]));

  it('lists the accounts of an OU', async () => {
    expect(await createOrganizationGateway().listAccountsUnder(OU)).toEqual([{ id: MEMBER, status: 'ACTIVE' }]);
  });

  it('fails, not answers an empty OU, when ListAccountsForParent comes without Accounts', async () => {
    sandbox.setTampering([{ service: 'organizations', action: 'ListAccountsForParent', rewrite: (body) => JSON.stringify({ ...(JSON.parse(body) as object), Accounts: undefined }) }]);
    await expect(createOrganizationGateway().listAccountsUnder(OU)).rejects.toThrow('malformed ListAccountsForParent answer: no Accounts');
  });

  it('fails when ListOrganizationalUnitsForParent comes without OrganizationalUnits', async () => {
    sandbox.setTampering([{ service: 'organizations', action: 'ListOrganizationalUnitsForParent', rewrite: () => '{}' }]);
    await expect(createOrganizationGateway().listAccountsUnder(sandbox.organization?.rootId ?? '')).rejects.toThrow(/no OrganizationalUnits/);
  });

  it('fails on an account ID that does not parse', async () => {
    sandbox.setTampering([{ service: 'organizations', action: 'ListAccounts', rewrite: (body) => body.split(MEMBER).join('22222222222X') }]);
    await expect(createOrganizationGateway().listAccounts()).rejects.toThrow(/"22222222222X" is not a 12-digit account ID/);
  });
});
