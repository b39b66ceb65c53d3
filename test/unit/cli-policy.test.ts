import { parseArgs } from '../../lambda/cli/args';
import { cliPolicy, renderCliPolicy } from '../../lambda/cli/policy';
import { accountStatements } from '../../lib/permissions';

const silent = { out: () => undefined, err: () => undefined };
const READ_ONLY = /^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*$/;

describe('ami-guard policy', () => {
  it('parses the policy command with its defaults and validates the mode', () => {
    expect(parseArgs(['policy'], '0.0.0', silent)).toEqual({ kind: 'policy', request: { mode: 'report', usageReport: false } });
    expect(parseArgs(['policy', '--mode', 'cleanup', '--region', 'eu-west-1,us-east-1', '--usage-report'], '0.0.0', silent)).toEqual({
      kind: 'policy',
      request: { mode: 'cleanup', usageReport: true, regions: ['eu-west-1', 'us-east-1'] },
    });
    expect(() => parseArgs(['policy', '--mode', 'delete'], '0.0.0', silent)).toThrow('--mode');
  });

  it('is the statements the deployed roles are made of, as an IAM policy document', () => {
    for (const mode of ['report', 'protect', 'cleanup'] as const) {
      const policy = cliPolicy({ mode, usageReport: false });
      const statements = accountStatements(mode, { partition: 'aws', accountId: '*', regions: ['*'] }, false);
      expect(policy.Statement.map((s) => [s.Sid, s.Action, s.Resource, s.Condition])).toEqual(
        statements.map((s) => [s.sid, s.actions, s.resources, s.conditions]),
      );
      expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    }
  });

  it('only reads in report mode; deregisters only images tagged safe in cleanup; limited to the regions given', () => {
    const report = cliPolicy({ mode: 'report', usageReport: false });
    expect(report.Statement.flatMap((s) => s.Action).filter((action) => !READ_ONLY.test(action))).toEqual([]);

    const cleanup = cliPolicy({ mode: 'cleanup', usageReport: false, regions: ['eu-west-1'] });
    const deregister = cleanup.Statement.find((s) => s.Action.includes('ec2:DeregisterImage'));
    expect(deregister?.Resource).toEqual(['arn:aws:ec2:eu-west-1::image/*']);
    expect(deregister?.Condition).toEqual({ StringLike: { 'ec2:ResourceTag/ami-guard:verdict': 'safe/ami-*' } });

    expect(cliPolicy({ mode: 'report', usageReport: true }).Statement.flatMap((s) => s.Action)).toContain('ec2:CreateImageUsageReport');
    expect(JSON.parse(renderCliPolicy({ mode: 'protect', usageReport: false }))).toEqual(cliPolicy({ mode: 'protect', usageReport: false }));
  });
});
