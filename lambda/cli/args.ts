// The command line (`ami-guard check|scan`, options in --help), parsed and validated into a RunConfig before any AWS call.

import { Command, CommanderError, Option } from 'commander';
import {
  DEFAULT_API_SHARE,
  DEFAULT_GRACE_DAYS,
  DEFAULT_MAX_DEREGISTER,
  DEFAULT_ORG_ROLE_NAME,
  DEFAULT_POLICY,
  DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH,
  DEFAULT_USAGE_REPORT_WAIT_SECONDS,
  MAX_QUARANTINE_DAYS,
  MODES,
  type Mode,
  type OrgSettings,
  type PolicySettings,
} from '../contract';
import { DEFAULT_MARKDOWN_LIMIT, MIN_MARKDOWN_LIMIT } from '../report/markdown';
import type { PolicyRequest } from './policy';
import * as validate from './validate';

export const FORMATS = ['text', 'json', 'markdown', 'html'] as const;
export type Format = (typeof FORMATS)[number];

/** A RunConfig whose regions may still need the SDK's default region. */
export interface CliRequest {
  readonly command: 'check' | 'scan';
  readonly imageIds: readonly string[];
  readonly regions?: readonly string[];
  readonly mode: Mode;
  readonly format: Format;
  /** --format markdown: at most this many characters */
  readonly markdownLimit: number;
  readonly topicArn?: string;
  readonly policy: PolicySettings;
  readonly graceDays: number;
  readonly maxDeregister: number;
  readonly quarantineDays: number;
  readonly dryRun: boolean;
  readonly usageReport: boolean;
  readonly usageReportWaitSeconds: number;
  readonly requireRecycleBin: boolean;
  readonly snapshotPricePerGiBMonth: number;
  /** the fraction of each EC2 request bucket the run may use */
  readonly apiShare: number;
  readonly org?: OrgSettings;
}

export type ParseResult =
  | { readonly kind: 'run'; readonly request: CliRequest }
  | { readonly kind: 'policy'; readonly request: PolicyRequest }
  | { readonly kind: 'restore'; readonly imageIds: readonly string[]; readonly regions?: readonly string[]; readonly format: 'text' | 'json' }
  | { readonly kind: 'exit'; readonly code: number };

interface RawOptions {
  region?: string;
  mode: string;
  format: string;
  markdownLimit?: string;
  topicArn?: string;
  graceDays: string;
  maxDeregister: string;
  quarantineDays: string;
  dryRun?: boolean;
  usageReport?: boolean;
  usageReportWait: string;
  requireRecycleBin?: boolean;
  snapshotPrice: string;
  apiShare: string;
  minAgeDays?: string;
  unusedDays?: string;
  keepLatest?: string;
  excludeTag?: string;
  familyTag?: string;
  org?: boolean;
  orgRoleName?: string;
  accounts?: string;
}

function commonOptions(command: Command): Command {
  return command
    .option('--region <regions>', 'comma-separated regions (default: the SDK region, AWS_REGION or the profile)')
    .addOption(new Option('--mode <mode>', 'report changes nothing; protect tags and protects; cleanup also deregisters').default('report'))
    .addOption(new Option('--format <format>', 'report format on stdout: text, json, markdown or html (one self-contained page with the lineage graph)').default('text'))
    .option('--markdown-limit <chars>', `--format markdown: at most this many characters (default ${DEFAULT_MARKDOWN_LIMIT}, a pull request comment; a GitHub job summary takes 1048576)`)
    .option('--topic-arn <arn>', 'also publish the report to this SNS topic')
    .option('--grace-days <days>', 'cleanup: days an image must have been safe before it is deregistered', String(DEFAULT_GRACE_DAYS))
    .option('--max-deregister <count>', 'cleanup: at most this many deregistrations per run', String(DEFAULT_MAX_DEREGISTER))
    .option('--quarantine-days <days>', `cleanup: disable a safe image past its grace first, deregister it this many days later (0 to ${MAX_QUARANTINE_DAYS}; 0: at once)`, '0')
    .option('--dry-run', 'protect, cleanup: report the whole plan of actions and change nothing')
    .option('--require-recycle-bin', 'cleanup: deregister only images a Recycle Bin retention rule covers')
    .option('--usage-report', 'run an EC2 AMI usage report for shared candidates: who uses them')
    .option('--usage-report-wait <seconds>', 'how long to wait for a usage report', String(DEFAULT_USAGE_REPORT_WAIT_SECONDS))
    .option('--snapshot-price <usd>', 'USD per GiB-month of snapshot storage, for the saving estimate', String(DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH))
    .option('--api-share <fraction>', "the fraction (0 < x <= 1) of each of EC2's request buckets the run may use; the rest is left to the account's other tools", String(DEFAULT_API_SHARE));
}

export function parseArgs(argv: readonly string[], version: string, write: { out: (s: string) => void; err: (s: string) => void }): ParseResult {
  let parsed: { command: 'check' | 'scan'; ids: string[]; options: RawOptions } | undefined;
  let policy: (Pick<RawOptions, 'mode' | 'region' | 'usageReport'> & { restore?: boolean }) | undefined;
  let restore: { ids: string[]; options: Pick<RawOptions, 'region' | 'format'> } | undefined;
  const program = new Command('ami-guard')
    .description('Proves for each AMI whether anything still needs it, before anyone deregisters it.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', HELP_AFTER)
    .exitOverride()
    .configureOutput({ writeOut: write.out, writeErr: write.err, outputError: (text, w) => w(`ami-guard: ${text.replace(/^error: /, '')}`) });

  commonOptions(
    program
      .command('check')
      .description('check exactly these images; exit 1 unless every one is safe')
      .argument('<image-id...>', 'AMI IDs, e.g. ami-0123456789abcdef0')
      .exitOverride(),
  ).action((ids: string[], options: RawOptions) => {
    parsed = { command: 'check', ids, options };
  });

  commonOptions(
    program.command('scan').description('check the candidates the policy selects among the owned images').exitOverride(),
  )
    .option('--min-age-days <days>', 'only images created at least this many days ago', String(DEFAULT_POLICY.minAgeDays))
    .option('--unused-days <days>', 'only images not launched within this many days', String(DEFAULT_POLICY.unusedDays))
    .option('--keep-latest <count>', 'never the newest N images of each family', String(DEFAULT_POLICY.keepLatest))
    .option('--exclude-tag <key>', 'never images carrying this tag key', DEFAULT_POLICY.excludeTag)
    .option('--family-tag <key>', 'the tag whose value names the family (default: the name without its version/date)')
    .option('--org', 'every account of the AWS Organization, through a member role in each')
    .option('--org-role-name <name>', `with --org: the member role to assume (default ${DEFAULT_ORG_ROLE_NAME})`)
    .option('--accounts <ids>', 'with --org: only these comma-separated account IDs')
    .action((options: RawOptions) => {
      parsed = { command: 'scan', ids: [], options };
    });

  program
    .command('policy')
    .description('print the IAM policy (JSON) the CLI needs in a mode')
    .addOption(new Option('--mode <mode>', 'report, protect or cleanup').default('report'))
    .option('--region <regions>', 'comma-separated regions the policy allows (default: every region)')
    .option('--usage-report', 'add the EC2 AMI usage report actions')
    .option('--restore', 'add what "ami-guard restore" needs (EnableImage, Recycle Bin)')
    .exitOverride()
    .action((options: Pick<RawOptions, 'mode' | 'region' | 'usageReport'> & { restore?: boolean }) => {
      policy = options;
    });

  program
    .command('restore')
    .description('undo a cleanup: enable a quarantined image again, or restore a deregistered one from the Recycle Bin')
    .argument('<image-id...>', 'AMI IDs')
    .option('--region <regions>', 'comma-separated regions to look in (default: the SDK region)')
    .addOption(new Option('--format <format>', 'text or json').default('text'))
    .exitOverride()
    .action((ids: string[], options: Pick<RawOptions, 'region' | 'format'>) => {
      restore = { ids, options };
    });

  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return { kind: 'exit', code: error.exitCode === 0 ? 0 : 2 };
    throw error;
  }
  if (policy !== undefined) {
    return {
      kind: 'policy',
      request: {
        mode: validate.oneOf('--mode', policy.mode, MODES),
        usageReport: policy.usageReport === true,
        ...(policy.restore === true ? { restore: true } : {}),
        ...(policy.region !== undefined ? { regions: validate.regions(policy.region) } : {}),
      },
    };
  }
  if (restore !== undefined) {
    return {
      kind: 'restore',
      imageIds: validate.imageIds(restore.ids),
      format: validate.oneOf('--format', restore.options.format, ['text', 'json'] as const),
      ...(restore.options.region !== undefined ? { regions: validate.regions(restore.options.region) } : {}),
    };
  }
  if (parsed === undefined) {
    write.err('ami-guard: missing command: use "check <image-id>..." or "scan" (see --help)\n');
    return { kind: 'exit', code: 2 };
  }
  return { kind: 'run', request: toRequest(parsed.command, parsed.ids, parsed.options) };
}

function toRequest(command: 'check' | 'scan', ids: string[], options: RawOptions): CliRequest {
  const policy: PolicySettings = {
    minAgeDays: validate.wholeNumber('--min-age-days', options.minAgeDays ?? String(DEFAULT_POLICY.minAgeDays)),
    unusedDays: validate.wholeNumber('--unused-days', options.unusedDays ?? String(DEFAULT_POLICY.unusedDays)),
    keepLatest: validate.wholeNumber('--keep-latest', options.keepLatest ?? String(DEFAULT_POLICY.keepLatest)),
    excludeTag: validate.tagKey('--exclude-tag', options.excludeTag ?? DEFAULT_POLICY.excludeTag),
    ...(options.familyTag !== undefined ? { familyTag: validate.tagKey('--family-tag', options.familyTag) } : {}),
  };
  return {
    command,
    imageIds: command === 'check' ? validate.imageIds(ids) : [],
    ...(options.region !== undefined ? { regions: validate.regions(options.region) } : {}),
    mode: validate.oneOf('--mode', options.mode, MODES),
    format: validate.oneOf('--format', options.format, FORMATS),
    markdownLimit: markdownLimit(options),
    ...(options.topicArn !== undefined ? { topicArn: validate.topicArn(options.topicArn) } : {}),
    policy,
    graceDays: validate.wholeNumber('--grace-days', options.graceDays),
    maxDeregister: validate.wholeNumber('--max-deregister', options.maxDeregister),
    quarantineDays: quarantineDays(options.quarantineDays),
    dryRun: dryRun(options),
    usageReport: options.usageReport === true,
    usageReportWaitSeconds: validate.wholeNumber('--usage-report-wait', options.usageReportWait),
    requireRecycleBin: options.requireRecycleBin === true,
    snapshotPricePerGiBMonth: validate.price('--snapshot-price', options.snapshotPrice),
    apiShare: validate.share('--api-share', options.apiShare),
    ...orgSettings(options),
  };
}

function quarantineDays(value: string): number {
  const days = validate.wholeNumber('--quarantine-days', value);
  if (days > MAX_QUARANTINE_DAYS) throw new validate.InvalidInputError(`invalid --quarantine-days "${value}": expected at most ${MAX_QUARANTINE_DAYS} days`);
  return days;
}

function dryRun(options: RawOptions): boolean {
  if (options.dryRun !== true) return false;
  if (options.mode === 'report') throw new validate.InvalidInputError('--dry-run needs --mode protect or cleanup: report mode changes nothing already');
  return true;
}

function markdownLimit(options: RawOptions): number {
  if (options.markdownLimit === undefined) return DEFAULT_MARKDOWN_LIMIT;
  if (options.format !== 'markdown') throw new validate.InvalidInputError('--markdown-limit needs --format markdown');
  const limit = validate.wholeNumber('--markdown-limit', options.markdownLimit);
  if (limit < MIN_MARKDOWN_LIMIT) throw new validate.InvalidInputError(`invalid --markdown-limit "${options.markdownLimit}": expected at least ${MIN_MARKDOWN_LIMIT} characters`);
  return limit;
}

function orgSettings(options: RawOptions): { org?: OrgSettings } {
  if (options.org !== true) {
    if (options.orgRoleName !== undefined) throw new validate.InvalidInputError('--org-role-name needs --org');
    if (options.accounts !== undefined) throw new validate.InvalidInputError('--accounts needs --org');
    return {};
  }
  return {
    org: {
      roleName: validate.roleName('--org-role-name', options.orgRoleName ?? DEFAULT_ORG_ROLE_NAME),
      ...(options.accounts !== undefined ? { accounts: validate.accountIds('--accounts', options.accounts) } : {}),
    },
  };
}

const HELP_AFTER = `
Examples:
  ami-guard check ami-0123456789abcdef0 ami-0fedcba9876543210 --region us-east-1
      may these images go? exit 1 if any is still needed or could not be verified
  ami-guard scan --region us-east-1,eu-west-1 --format html > report.html
      every candidate of two regions, as a page with a filterable table and the lineage graph
  ami-guard scan --format markdown --markdown-limit 1048576 >> "$GITHUB_STEP_SUMMARY"
      a GitHub job summary (a pull request comment takes the default 65536 characters)
  ami-guard scan --mode cleanup --dry-run
      every tag, protection and deregistration a cleanup would make, with dates; nothing changed
  ami-guard restore ami-0123456789abcdef0 --region us-east-1
      undo a cleanup: enable a quarantined image, or bring a deregistered one back from the Recycle Bin
  ami-guard scan --mode protect --topic-arn arn:aws:sns:us-east-1:123456789012:ami-guard
      protect every image still needed, and publish the report to SNS (email, Slack)

Exit status:
  0  the run completed (check: and every image is safe)
  1  check: an image is blocked or unverified; scan: an image is unverified, or the run failed
  2  invalid arguments or configuration: nothing was checked or changed
`;
