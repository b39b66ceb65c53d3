// The forms of AWS identifiers and names, defined once. The CLI, both Lambda event schemas, the
// deployed settings and the gateway's checks of AWS's answers all validate with these, so a value
// one of them accepts is a value every other one accepts. Exact forms, no case folding: AWS writes
// these IDs in lower case, and `AMI-...` or `ami-ABC...` is not an ID it ever answers with.

/** The partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ... */
const PARTITION = 'aws(?:-[a-z]+)*';
const REGION_FORM = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';
const ACCOUNT_FORM = '\\d{12}';
const ORGANIZATION_FORM = 'o-[a-z0-9]{10,32}';
const ROOT_FORM = 'r-[0-9a-z]{4,32}';
const OU_FORM = 'ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}';

const exact = (form: string, flags = ''): RegExp => new RegExp(`^(?:${form})$`, flags);

/** A form and the words an error message uses for it. */
export interface Form {
  readonly pattern: RegExp;
  /** what a valid value is, to follow "is not" in a message */
  readonly expected: string;
}

export const FORMS = {
  imageId: { pattern: exact('ami-(?:[0-9a-f]{8}|[0-9a-f]{17})'), expected: 'an AMI ID (ami- and 8 or 17 lower-case hex digits)' },
  snapshotId: { pattern: exact('snap-(?:[0-9a-f]{8}|[0-9a-f]{17})'), expected: 'a snapshot ID (snap- and 8 or 17 lower-case hex digits)' },
  region: { pattern: exact(REGION_FORM), expected: 'an AWS region name like us-east-1' },
  accountId: { pattern: exact(ACCOUNT_FORM), expected: 'a 12-digit account ID' },
  roleName: { pattern: exact('[\\w+=,.@-]{1,64}'), expected: 'an IAM role name (1-64 characters of letters, digits and +=,.@_-)' },
  // EC2 tag keys: up to 128 characters, not starting with `aws:`.
  tagKey: {
    pattern: exact('(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{1,128}', 'u'),
    expected: 'a valid tag key (1-128 characters, not starting with aws:)',
  },
  organizationId: { pattern: exact(ORGANIZATION_FORM), expected: 'an organization ID like o-a1b2c3d4e5' },
  /** a root (r-) or an organizational unit (ou-<root>-<suffix>) */
  orgUnitId: { pattern: exact(`${ROOT_FORM}|${OU_FORM}`), expected: 'an organizational unit ID like ou-ab12-cd34ef56 or a root ID like r-ab12' },
  organizationArn: {
    pattern: exact(`arn:${PARTITION}:organizations::${ACCOUNT_FORM}:organization/${ORGANIZATION_FORM}`),
    expected: 'an organization ARN',
  },
  orgUnitArn: {
    pattern: exact(`arn:${PARTITION}:organizations::${ACCOUNT_FORM}:(?:ou/${ORGANIZATION_FORM}/${OU_FORM}|root/${ORGANIZATION_FORM}/${ROOT_FORM})`),
    expected: 'an organizational unit ARN',
  },
  topicArn: {
    pattern: exact(`arn:${PARTITION}:sns:${REGION_FORM}:${ACCOUNT_FORM}:[A-Za-z0-9_-]{1,256}(?:\\.fifo)?`),
    expected: 'an SNS topic ARN like arn:aws:sns:REGION:ACCOUNT:NAME',
  },
  /** any ARN: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, region and account possibly empty */
  arn: {
    pattern: exact(`arn:${PARTITION}:[a-z0-9-]+:(?:${REGION_FORM})?:(?:${ACCOUNT_FORM}|aws)?:\\S+`),
    expected: 'an ARN',
  },
} as const satisfies Record<string, Form>;

export type FormName = keyof typeof FORMS;

/** Whether the value has the form, exactly. */
export const isForm = (name: FormName, value: unknown): value is string => typeof value === 'string' && FORMS[name].pattern.test(value);

export const isImageId = (value: unknown): value is string => isForm('imageId', value);
export const isRegion = (value: unknown): value is string => isForm('region', value);
export const isAccountId = (value: unknown): value is string => isForm('accountId', value);

/** The region of an SNS topic ARN (undefined when it is not one). */
export const topicRegion = (topicArn: string): string | undefined =>
  isForm('topicArn', topicArn) ? topicArn.split(':')[3] : undefined;

/** The account of an IAM role ARN (undefined when it is not one). */
export function roleArnAccount(roleArn: string | undefined): string | undefined {
  const match = new RegExp(`^arn:${PARTITION}:iam::(${ACCOUNT_FORM}):role/\\S+$`).exec(roleArn ?? '');
  return match?.[1];
}
