import { DEFAULT_POLICY, DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH } from '../../lambda/contract';
import {
  DEFAULT_SCHEDULE,
  orgSettingsFromEnvironment,
  orgSettingsToEnvironment,
  parseSettings,
  RUNTIME_SETTINGS,
  settingsFromEnvironment,
  settingsToEnvironment,
  SettingsError,
} from '../../lambda/settings';

describe('parseSettings', () => {
  it('applies every default', () => {
    expect(parseSettings({})).toEqual({
      schedule: DEFAULT_SCHEDULE,
      mode: 'report',
      regions: [],
      notifyEmails: [],
      minAgeDays: DEFAULT_POLICY.minAgeDays,
      unusedDays: 30,
      keepLatest: 3,
      excludeTag: 'ami-guard:keep',
      graceDays: 14,
      maxDeregister: 50,
      quarantineDays: 0,
      usageReport: false,
      requireRecycleBin: false,
      snapshotPricePerGiBMonth: DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH,
      apiShare: 0.5,
      reportRetentionDays: 365,
      logRetentionDays: 90,
      organization: false,
      orgRoleName: 'ami-guard-member',
      orgUnitIds: [],
      excludeAccounts: [],
      orgMaxConcurrency: 20,
    });
  });

  it('parses and checks the organization settings', () => {
    expect(
      parseSettings({
        organization: 'true',
        organizationId: 'o-a1b2c3d4e5',
        orgUnitIds: 'ou-ab12-cd34ef56, r-ab12',
        excludeAccounts: '111122223333',
        orgMaxConcurrency: '5',
        orgRoleName: 'guard-reader',
      }),
    ).toMatchObject({
      organization: true,
      organizationId: 'o-a1b2c3d4e5',
      orgUnitIds: ['ou-ab12-cd34ef56', 'r-ab12'],
      excludeAccounts: ['111122223333'],
      orgMaxConcurrency: 5,
      orgRoleName: 'guard-reader',
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ orgMaxConcurrency: '0' }, 'invalid setting orgMaxConcurrency: "0" is not a whole number from 1 to 1000'],
      [{ orgMaxConcurrency: 1001 }, 'invalid setting orgMaxConcurrency: 1001 is not a whole number from 1 to 1000'],
      [{ excludeAccounts: '12345' }, 'invalid setting excludeAccounts: "12345" is not a 12-digit account ID'],
      [{ orgUnitIds: 'ou-x' }, 'invalid setting orgUnitIds: "ou-x" is not an organizational unit ID'],
      [{ orgRoleName: 'a role' }, 'invalid setting orgRoleName: "a role" is not an IAM role name'],
      [{ organization: true, orgUnitIds: 'r-ab12' }, 'invalid setting organizationId: missing: required when organization is true'],
      [{ organization: true, organizationId: 'o-a1b2c3d4e5' }, 'invalid setting orgUnitIds: missing: required when organization is true'],
    ];
    for (const [raw, message] of cases) expect(() => parseSettings(raw)).toThrow(message);
  });

  it('carries the organization function\'s settings through its environment', () => {
    const settings = parseSettings({ mode: 'protect', orgUnitIds: 'r-ab12', excludeAccounts: '111122223333', orgRoleName: 'reader' });
    const environment = orgSettingsToEnvironment(settings);
    expect(environment).toMatchObject({ AMI_GUARD_ORG_UNIT_IDS: 'r-ab12', AMI_GUARD_EXCLUDE_ACCOUNTS: '111122223333', AMI_GUARD_ORG_ROLE_NAME: 'reader' });
    expect(orgSettingsFromEnvironment(environment)).toMatchObject({ mode: 'protect', orgUnitIds: ['r-ab12'], excludeAccounts: ['111122223333'], orgRoleName: 'reader' });
    // the single-account function's environment is unchanged
    expect(Object.keys(settingsToEnvironment(settings))).not.toContain('AMI_GUARD_ORG_ROLE_NAME');
  });

  it('parses context strings: numbers, comma-separated lists, empty meaning unset', () => {
    const settings = parseSettings({
      minAgeDays: '7',
      regions: ' us-east-1, eu-west-1,,us-east-1',
      notifyEmails: 'a@example.com',
      familyTag: '',
      schedule: 'rate(1 hour)',
    });
    expect(settings).toMatchObject({ minAgeDays: 7, regions: ['us-east-1', 'eu-west-1'], notifyEmails: ['a@example.com'], schedule: 'rate(1 hour)' });
    expect(settings.familyTag).toBeUndefined();
  });

  it('parses the evidence options: booleans from "true"/"false", the snapshot price as a decimal', () => {
    expect(parseSettings({ usageReport: 'true', requireRecycleBin: 'false', snapshotPricePerGiBMonth: '0.0125' })).toMatchObject({
      usageReport: true,
      requireRecycleBin: false,
      snapshotPricePerGiBMonth: 0.0125,
    });
    expect(parseSettings({ usageReport: false, requireRecycleBin: true, snapshotPricePerGiBMonth: 0 })).toMatchObject({
      usageReport: false,
      requireRecycleBin: true,
      snapshotPricePerGiBMonth: 0,
    });
    expect(parseSettings({ snapshotPricePerGiBMonth: '.05' }).snapshotPricePerGiBMonth).toBe(0.05);
  });

  it.each([
    [{ usageReport: 'yes' }, 'invalid setting usageReport: "yes" is not true or false'],
    [{ requireRecycleBin: 1 }, 'invalid setting requireRecycleBin: 1 is not true or false'],
    [{ requireRecycleBin: 'TRUE' }, 'invalid setting requireRecycleBin: "TRUE" is not true or false'],
    [{ snapshotPricePerGiBMonth: '-0.01' }, 'invalid setting snapshotPricePerGiBMonth: "-0.01" is not a number >= 0'],
    [{ snapshotPricePerGiBMonth: 'cheap' }, 'invalid setting snapshotPricePerGiBMonth: "cheap" is not a number >= 0'],
    [{ minAgeDays: 'abc' }, 'invalid setting minAgeDays: "abc" is not a whole number >= 0'],
    [{ unusedDays: 1.5 }, 'invalid setting unusedDays: 1.5 is not a whole number >= 0'],
    [{ maxDeregister: '-3' }, 'invalid setting maxDeregister: "-3" is not a whole number >= 0'],
    [{ mode: 'Cleanup' }, 'invalid setting mode: "Cleanup" is not one of report, protect, cleanup'],
    [{ schedule: 'rate(1 days)' }, 'invalid setting schedule: "rate(1 days)" is not an EventBridge schedule expression'],
    [{ schedule: 'cron(0 6 * * *)' }, 'invalid setting schedule: "cron(0 6 * * *)"'],
    [{ regions: 'us-east-1,US-WEST-2' }, 'invalid setting regions: "US-WEST-2" is not an AWS region name like us-east-1'],
    [{ notifyEmails: ['ops@example.com', 'nobody'] }, 'invalid setting notifyEmails: "nobody" is not an email address'],
    [{ slackChannelId: 'C01ABCDEFGH' }, 'invalid setting slackWorkspaceId: missing: required when slackChannelId is set'],
    [{ excludeTag: 'aws:keep' }, 'invalid setting excludeTag: "aws:keep" is not a valid tag key'],
    [{ logRetentionDays: 10 }, 'invalid setting logRetentionDays: 10 is not a retention CloudWatch Logs accepts'],
    [{ graceDay: 3 }, 'invalid setting graceDay: unknown setting'],
  ])('rejects %j with one line naming the key and the value', (raw, message) => {
    let error: unknown;
    try {
      parseSettings(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message.startsWith('invalid setting ')).toBe(true);
  });
});

describe('environment round trip', () => {
  it('carries the runtime settings to the function and back, through the same schema', () => {
    const settings = parseSettings({
      mode: 'cleanup',
      regions: 'us-east-1,eu-west-1',
      familyTag: 'Family',
      graceDays: 30,
      usageReport: true,
      requireRecycleBin: true,
      snapshotPricePerGiBMonth: 0.0125,
    });
    const environment = settingsToEnvironment(settings);
    expect(Object.keys(environment).sort()).toEqual(Object.values(RUNTIME_SETTINGS).sort());
    expect(environment.AMI_GUARD_REGIONS).toBe('us-east-1,eu-west-1');
    expect(environment).toMatchObject({
      AMI_GUARD_USAGE_REPORT: 'true',
      AMI_GUARD_REQUIRE_RECYCLE_BIN: 'true',
      AMI_GUARD_SNAPSHOT_PRICE_PER_GIB_MONTH: '0.0125',
    });
    expect(settingsFromEnvironment(environment)).toMatchObject({
      mode: 'cleanup',
      regions: ['us-east-1', 'eu-west-1'],
      familyTag: 'Family',
      graceDays: 30,
      minAgeDays: 30,
      usageReport: true,
      requireRecycleBin: true,
      snapshotPricePerGiBMonth: 0.0125,
    });
    expect(settingsToEnvironment(parseSettings({}))).toMatchObject({
      AMI_GUARD_USAGE_REPORT: 'false',
      AMI_GUARD_REQUIRE_RECYCLE_BIN: 'false',
      AMI_GUARD_SNAPSHOT_PRICE_PER_GIB_MONTH: '0.05',
    });
  });

  it('rejects a bad environment value naming the setting', () => {
    expect(() => settingsFromEnvironment({ AMI_GUARD_KEEP_LATEST: 'three' })).toThrow(
      'invalid setting keepLatest: "three" is not a whole number >= 0',
    );
  });
});
