// quarantineDays as a setting and in the role: validated, carried to the function, and the
// DisableImage / EnableImage / Recycle Bin actions only where a mode or command needs them.

import { modeStatements, restoreStatements } from '../../lib/permissions';
import { parseArgs } from '../../lambda/cli/args';
import { cliPolicy } from '../../lambda/cli/policy';
import { deployedRunConfig, parseSettings, settingsFromEnvironment, settingsToEnvironment } from '../../lambda/settings';

const arn = { partition: 'aws', accountId: '111122223333', regions: ['us-east-1'] };
const actionsOf = (statements: ReturnType<typeof modeStatements>): string[] => statements.flatMap((s) => s.actions);
const quiet = { out: () => undefined, err: () => undefined };

it('validates quarantineDays, defaults it to 0 and carries it to the function', () => {
  expect(parseSettings({}).quarantineDays).toBe(0);
  expect(() => parseSettings({ quarantineDays: 400 })).toThrow(/quarantineDays/);
  expect(() => parseSettings({ quarantineDays: -1 })).toThrow(/quarantineDays/);
  const settings = { ...parseSettings({ quarantineDays: '14' }), regions: ['us-east-1'] };
  const environment = settingsToEnvironment(settings);
  expect(environment.AMI_GUARD_QUARANTINE_DAYS).toBe('14');
  expect(deployedRunConfig(settingsFromEnvironment(environment)).quarantineDays).toBe(14);
});

it('takes --quarantine-days on the command line, 0 by default, at most 365', () => {
  expect(parseArgs(['scan', '--mode', 'cleanup'], '0', quiet)).toMatchObject({ request: { quarantineDays: 0 } });
  expect(parseArgs(['scan', '--mode', 'cleanup', '--quarantine-days', '14'], '0', quiet)).toMatchObject({ request: { quarantineDays: 14 } });
  expect(() => parseArgs(['scan', '--quarantine-days', '366'], '0', quiet)).toThrow(/--quarantine-days/);
  expect(() => parseArgs(['scan', '--quarantine-days', 'two'], '0', quiet)).toThrow(/--quarantine-days/);
});

it('grants DisableImage only in cleanup and only on images tagged safe; EnableImage only on images ami-guard quarantined', () => {
  expect(actionsOf(modeStatements('report', arn))).toEqual([]);
  expect(actionsOf(modeStatements('protect', arn))).not.toContain('ec2:DisableImage');
  const cleanup = modeStatements('cleanup', arn);
  expect(cleanup.find((s) => s.actions.includes('ec2:DisableImage'))).toMatchObject({
    sid: 'QuarantineSafeImages',
    actions: ['ec2:DisableImage'],
    resources: ['arn:aws:ec2:us-east-1::image/*'],
    conditions: { StringLike: { 'ec2:ResourceTag/ami-guard:verdict': 'safe/ami-*' } },
  });
  for (const mode of ['protect', 'cleanup'] as const) {
    expect(modeStatements(mode, arn).find((s) => s.actions.includes('ec2:EnableImage'))?.conditions).toEqual({
      StringLike: { 'ec2:ResourceTag/ami-guard:quarantined-since': '*/ami-*' },
    });
  }
  expect(actionsOf(modeStatements('cleanup', arn))).not.toContain('ec2:RestoreImageFromRecycleBin');
});

it('adds the restore actions to the CLI policy only when asked', () => {
  expect(actionsOf(restoreStatements(arn))).toEqual(['ec2:ListImagesInRecycleBin', 'ec2:RestoreImageFromRecycleBin', 'ec2:EnableImage', 'ec2:DeleteTags']);
  const without = cliPolicy({ mode: 'report', usageReport: false }).Statement.flatMap((s) => s.Action);
  const withRestore = cliPolicy({ mode: 'report', usageReport: false, restore: true }).Statement.flatMap((s) => s.Action);
  expect(without).not.toContain('ec2:RestoreImageFromRecycleBin');
  expect(withRestore).toContain('ec2:RestoreImageFromRecycleBin');
});
