// The deployed settings: one zod schema shared by the CDK app (context and construct props) and
// the Lambda handler (its environment variables). Bundled into the function: no aws-cdk-lib here.
// zod/mini, zod's functional build: what a schema does not use stays out of the function bundles
// (the full build is 450 KiB of them); the schemas and their messages are the same.
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { FORMS, type FormName } from './identifiers';
import {
  DEFAULT_API_SHARE,
  DEFAULT_GRACE_DAYS,
  DEFAULT_MAX_DEREGISTER,
  MAX_QUARANTINE_DAYS,
  DEFAULT_ORG_ROLE_NAME,
  DEFAULT_POLICY,
  DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH,
  MODES,
  type RunConfig,
} from './contract';

export const DEFAULT_SCHEDULE = 'cron(0 6 ? * MON *)';
export const DEFAULT_REPORT_RETENTION_DAYS = 365;
export const DEFAULT_LOG_RETENTION_DAYS = 90;
/** Member accounts gathered at once by the organization state machine. */
export const DEFAULT_ORG_MAX_CONCURRENCY = 20;
export const MAX_ORG_MAX_CONCURRENCY = 1000;

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
// EventBridge cron has six fields: minutes hours day-of-month month day-of-week year.
const CRON = /^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/;
// Chatbot Slack IDs: workspace (team) IDs like T01ABCDEFGH, channel IDs like C01ABCDEFGH.
const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;

/**
 * The messages of zod's full build (its English locale) for the issues a schema gives no message
 * of its own: zod/mini has none. Pass to every safeParse: `schema.safeParse(value, ENGLISH)`.
 */
export const ENGLISH: z.core.ParseContext<z.core.$ZodIssue> = { error: en().localeError };

/** A string of one of the identifier forms, with the form's words in the error. */
export function formString(name: FormName) {
  const { pattern, expected } = FORMS[name];
  return z.string({ error: 'is not a string' }).check(z.regex(pattern, { error: `is not ${expected}` }));
}

/** Parses the value first (a string from the context or environment), then checks it: zod's preprocess. */
function preprocess<T extends z.core.$ZodType<unknown, unknown>>(
  parse: (value: unknown) => unknown,
  schema: T,
): z.ZodMiniPipe<z.ZodMiniTransform<unknown, unknown>, T> {
  return z.pipe(z.transform(parse), schema);
}

/** Context (`-c key=value`) and environment variables arrive as strings: numbers are parsed. */
function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const message = max === Number.MAX_SAFE_INTEGER ? `is not a whole number >= ${min}` : `is not a whole number from ${min} to ${max}`;
  return preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value),
    z.number({ error: message }).check(z.int({ error: message }), z.gte(min, { error: message }), z.lte(max, { error: message })),
  );
}

/** A number >= min (not only whole); context and environment strings like "0.05" are parsed. */
function decimal(min: number) {
  const message = `is not a number >= ${min}`;
  return preprocess(
    (value) => (typeof value === 'string' && /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : value),
    z.number({ error: message }).check(z.gte(min, { error: message })),
  );
}

/** A share of a budget: 0 < x <= 1; context and environment strings like "0.5" are parsed. */
function share() {
  const message = 'is not a number greater than 0 and at most 1';
  return preprocess(
    (value) => (typeof value === 'string' && /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : value),
    z.number({ error: message }).check(z.gt(0, { error: message }), z.lte(1, { error: message })),
  );
}

/** A boolean, or the context / environment strings "true" and "false". */
function flag() {
  return preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: 'is not true or false' }),
  );
}

/** A list is an array or one comma-separated string; blanks are dropped, duplicates removed. */
function list<T extends z.ZodMiniType<string>>(item: T) {
  return preprocess(toList, z.array(item, { error: 'is not a list (an array or a comma-separated string)' }));
}

function toList(value: unknown): unknown {
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items)) return items;
  const trimmed = items.map((entry: unknown) => (typeof entry === 'string' ? entry.trim() : entry));
  return [...new Set(trimmed.filter((entry) => entry !== ''))];
}

/** An empty string means "not set", so `-c familyTag=` clears a value from cdk.json. */
function optionalText<T extends z.ZodMiniType<string>>(text: T) {
  return preprocess((value) => (value === '' || value === null ? undefined : value), z.optional(text));
}

export const settingsSchema = z
  .strictObject({
    schedule: z._default(
      z.string({ error: 'is not a string' }).check(
        z.refine((value) => CRON.test(value) || (RATE.test(value) && rateIsValid(value)), {
          error: 'is not an EventBridge schedule expression like "cron(0 6 ? * MON *)" or "rate(7 days)"',
        }),
      ),
      DEFAULT_SCHEDULE,
    ),
    mode: z._default(z.enum(MODES, { error: `is not one of ${MODES.join(', ')}` }), 'report'),
    regions: z._default(list(formString('region')), []),
    notifyEmails: z._default(list(z.email({ error: 'is not an email address' })), []),
    slackWorkspaceId: optionalText(
      z.string({ error: 'is not a string' }).check(z.regex(SLACK_WORKSPACE_ID, { error: 'is not a Slack workspace ID like T01ABCDEFGH' })),
    ),
    slackChannelId: optionalText(
      z.string({ error: 'is not a string' }).check(z.regex(SLACK_CHANNEL_ID, { error: 'is not a Slack channel ID like C01ABCDEFGH' })),
    ),
    minAgeDays: z._default(wholeNumber(0), DEFAULT_POLICY.minAgeDays),
    unusedDays: z._default(wholeNumber(0), DEFAULT_POLICY.unusedDays),
    keepLatest: z._default(wholeNumber(0), DEFAULT_POLICY.keepLatest),
    excludeTag: z._default(formString('tagKey'), DEFAULT_POLICY.excludeTag),
    familyTag: optionalText(formString('tagKey')),
    graceDays: z._default(wholeNumber(0), DEFAULT_GRACE_DAYS),
    maxDeregister: z._default(wholeNumber(0), DEFAULT_MAX_DEREGISTER),
    quarantineDays: z._default(wholeNumber(0, MAX_QUARANTINE_DAYS), 0),
    usageReport: z._default(flag(), false),
    requireRecycleBin: z._default(flag(), false),
    snapshotPricePerGiBMonth: z._default(decimal(0), DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH),
    apiShare: z._default(share(), DEFAULT_API_SHARE),
    reportRetentionDays: z._default(wholeNumber(1), DEFAULT_REPORT_RETENTION_DAYS),
    logRetentionDays: z._default(
      wholeNumber(1).check(
        z.refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
          error: `is not a retention CloudWatch Logs accepts (${LOG_RETENTION_DAYS.join(', ')})`,
        }),
      ),
      DEFAULT_LOG_RETENTION_DAYS,
    ),
    // Organization mode (lib/ami-guard-organization.ts): the app deploys it with organization=true.
    organization: z._default(flag(), false),
    organizationId: optionalText(formString('organizationId')),
    orgRoleName: z._default(formString('roleName'), DEFAULT_ORG_ROLE_NAME),
    orgUnitIds: z._default(list(formString('orgUnitId')), []),
    excludeAccounts: z._default(list(formString('accountId')), []),
    orgMaxConcurrency: z._default(wholeNumber(1, MAX_ORG_MAX_CONCURRENCY), DEFAULT_ORG_MAX_CONCURRENCY),
  })
  .check(
    z.superRefine((settings, context) => {
      if (settings.organization && settings.organizationId === undefined) {
        context.addIssue({ code: 'custom', path: ['organizationId'], message: 'missing: required when organization is true' });
      }
      if (settings.organization && settings.orgUnitIds.length === 0) {
        context.addIssue({
          code: 'custom',
          path: ['orgUnitIds'],
          message: 'missing: required when organization is true (the OUs to scan and deploy the member role to; the root r-... for every account)',
        });
      }
      if ((settings.slackWorkspaceId === undefined) !== (settings.slackChannelId === undefined)) {
        const missing = settings.slackWorkspaceId === undefined ? 'slackWorkspaceId' : 'slackChannelId';
        context.addIssue({
          code: 'custom',
          path: [missing],
          message: `missing: required when ${missing === 'slackWorkspaceId' ? 'slackChannelId' : 'slackWorkspaceId'} is set (set both or neither)`,
        });
      }
    }),
  );

function rateIsValid(expression: string): boolean {
  const [, amount, unit] = RATE.exec(expression) ?? [];
  const value = Number(amount);
  // EventBridge wants the singular unit for 1 and the plural for more.
  return value >= 1 && (value === 1) === !unit.endsWith('s');
}

/** The validated settings, every default applied. `regions` empty means the deployment's region. */
export type Settings = z.output<typeof settingsSchema>;
export type SettingKey = keyof Settings;
export const SETTING_KEYS = Object.keys(settingsSchema.shape) as SettingKey[];

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/**
 * Validates raw settings (typed props, CDK context with string values, or the environment
 * mapping below) and applies the defaults. Throws a SettingsError whose one-line message names
 * the key and the bad value.
 */
export function parseSettings(raw: Readonly<Record<string, unknown>>): Settings {
  const result = settingsSchema.safeParse(raw, ENGLISH);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    throw new SettingsError(`invalid setting ${key}: unknown setting (known: ${SETTING_KEYS.join(', ')})`);
  }
  const key = String(issue.path[0]);
  const [, index] = issue.path;
  // For a list, name the bad item rather than the whole list.
  const value = typeof index === 'number' ? (toList(raw[key]) as unknown[])[index] : raw[key];
  if (value === undefined) throw new SettingsError(`invalid setting ${key}: ${issue.message}`);
  throw new SettingsError(`invalid setting ${key}: ${describeValue(value)} ${issue.message}`);
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The settings the function itself needs at run time, and their environment variable names. */
export const RUNTIME_SETTINGS = {
  mode: 'AMI_GUARD_MODE',
  regions: 'AMI_GUARD_REGIONS',
  minAgeDays: 'AMI_GUARD_MIN_AGE_DAYS',
  unusedDays: 'AMI_GUARD_UNUSED_DAYS',
  keepLatest: 'AMI_GUARD_KEEP_LATEST',
  excludeTag: 'AMI_GUARD_EXCLUDE_TAG',
  familyTag: 'AMI_GUARD_FAMILY_TAG',
  graceDays: 'AMI_GUARD_GRACE_DAYS',
  maxDeregister: 'AMI_GUARD_MAX_DEREGISTER',
  quarantineDays: 'AMI_GUARD_QUARANTINE_DAYS',
  usageReport: 'AMI_GUARD_USAGE_REPORT',
  requireRecycleBin: 'AMI_GUARD_REQUIRE_RECYCLE_BIN',
  snapshotPricePerGiBMonth: 'AMI_GUARD_SNAPSHOT_PRICE_PER_GIB_MONTH',
  apiShare: 'AMI_GUARD_API_SHARE',
} as const satisfies Partial<Record<SettingKey, string>>;

type RuntimeKey = keyof typeof RUNTIME_SETTINGS;
export type RuntimeSettings = Pick<Settings, RuntimeKey>;

/** The settings the organization function needs besides the runtime settings. */
export const ORG_RUNTIME_SETTINGS = {
  ...RUNTIME_SETTINGS,
  orgRoleName: 'AMI_GUARD_ORG_ROLE_NAME',
  orgUnitIds: 'AMI_GUARD_ORG_UNIT_IDS',
  excludeAccounts: 'AMI_GUARD_EXCLUDE_ACCOUNTS',
} as const satisfies Partial<Record<SettingKey, string>>;

type OrgRuntimeKey = keyof typeof ORG_RUNTIME_SETTINGS;
export type OrgRuntimeSettings = Pick<Settings, OrgRuntimeKey>;

/** Encodes the runtime settings as environment variables (lists comma-separated, unset omitted). */
export function settingsToEnvironment(settings: RuntimeSettings): Record<string, string> {
  return encode(settings, RUNTIME_SETTINGS);
}

/** Decodes and validates the runtime settings from the environment, with the same schema. */
export function settingsFromEnvironment(environment: Readonly<Record<string, string | undefined>>): RuntimeSettings {
  return decode(environment, RUNTIME_SETTINGS);
}

/** The organization function's settings as environment variables. */
export function orgSettingsToEnvironment(settings: OrgRuntimeSettings): Record<string, string> {
  return encode(settings, ORG_RUNTIME_SETTINGS);
}

/** The organization function's settings from its environment, with the same schema. */
export function orgSettingsFromEnvironment(environment: Readonly<Record<string, string | undefined>>): OrgRuntimeSettings {
  return decode(environment, ORG_RUNTIME_SETTINGS);
}

function encode(settings: Partial<Settings>, names: Partial<Record<SettingKey, string>>): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [key, name] of Object.entries(names) as [SettingKey, string][]) {
    const value = settings[key];
    if (value === undefined) continue;
    environment[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return environment;
}

function decode(environment: Readonly<Record<string, string | undefined>>, names: Partial<Record<SettingKey, string>>): Settings {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(names) as [SettingKey, string][]) {
    if (environment[name] !== undefined) raw[key] = environment[name];
  }
  return parseSettings(raw);
}

/** The parts of a run every trigger takes from the deployed settings. */
export function deployedRunConfig(
  settings: RuntimeSettings,
): Pick<RunConfig, 'regions' | 'policy' | 'graceDays' | 'maxDeregister' | 'quarantineDays' | 'usageReport' | 'requireRecycleBin' | 'snapshotPricePerGiBMonth'> {
  const { minAgeDays, unusedDays, keepLatest, excludeTag, familyTag } = settings;
  return {
    regions: settings.regions,
    policy: { minAgeDays, unusedDays, keepLatest, excludeTag, familyTag },
    graceDays: settings.graceDays,
    maxDeregister: settings.maxDeregister,
    quarantineDays: settings.quarantineDays,
    usageReport: settings.usageReport,
    requireRecycleBin: settings.requireRecycleBin,
    snapshotPricePerGiBMonth: settings.snapshotPricePerGiBMonth,
  };
}
