import type { ImageEntry, Reason, Report, Verdict } from '../../lambda/contract';
import {
  buildNotification,
  buildSubject,
  type ChatbotNotification,
  type NotificationInput,
  type ReportLocation,
  SNS_MAX_MESSAGE_BYTES,
} from '../../lambda/report/notification';

const location: ReportLocation = {
  s3Uri: 's3://ami-guard-reports-123/reports/2025/03/10/run-1.json',
  consoleUrl:
    'https://us-east-1.console.aws.amazon.com/s3/object/ami-guard-reports-123?region=us-east-1&prefix=reports/2025/03/10/run-1.json',
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function reasonsFor(index: number): Reason[] {
  const account = '123456789012';
  switch (index % 6) {
    case 0:
      return [
        { code: 'referenced', resourceType: 'ec2:Instance', arn: `arn:aws:ec2:us-east-1:${account}:instance/i-${hex(index, 17)}` },
        { code: 'referenced', resourceType: 'ec2:LaunchTemplate', arn: `arn:aws:ec2:us-east-1:${account}:launch-template/lt-${hex(index, 17)}` },
      ];
    case 1:
      return [{ code: 'ancestor-of-in-use', imageId: `ami-${hex(index + 100_000, 17)}`, region: 'eu-west-1' }];
    case 2:
      return [
        { code: 'shared', sharedWith: '210987654321', kind: 'account' },
        { code: 'shared', sharedWith: 'arn:aws:organizations::123456789012:organization/o-abc123', kind: 'organization' },
        { code: 'deregistration-protected', value: 'enabled-without-cooldown' },
        { code: 'referenced', resourceType: 'ssm:Parameter', arn: `arn:aws:ssm:us-east-1:${account}:parameter/golden/ami-${index}` },
      ];
    case 3:
      return [
        {
          code: 'check-failed',
          check: 'references',
          message: 'RequestLimitExceeded: Request limit exceeded. (after 3 attempts) '.repeat(3),
        },
      ];
    case 4:
      return [{ code: 'referenced', resourceType: 'imagebuilder:ImageRecipe', arn: `arn:aws:imagebuilder:us-east-1:${account}:image-recipe/web/1.0.${index}` }];
    default:
      return [];
  }
}

function verdictFor(reasons: readonly Reason[]): Verdict {
  if (reasons.some((reason) => reason.code === 'check-failed')) return 'unverified';
  return reasons.length > 0 ? 'blocked' : 'safe';
}

function image(index: number, mode: Report['mode']): ImageEntry {
  const reasons = reasonsFor(index);
  const verdict = verdictFor(reasons);
  return {
    imageId: `ami-${hex(index, 17)}`,
    region: index % 2 === 0 ? 'us-east-1' : 'eu-west-1',
    name: `web-server-al2023-${2023 + (index % 3)}.${String(index % 12).padStart(2, '0')}.${index}-x86_64 ünïcödé`,
    creationDate: '2024-01-15T10:00:00.000Z',
    verdict,
    reasons,
    lineage: [
      { imageId: `ami-${hex(index, 17)}`, region: 'us-east-1' },
      { imageId: 'ami-0abcdef1234567890', region: 'us-east-1', owner: 'amazon', name: 'al2023-ami-2023.1' },
    ],
    snapshots: [{ snapshotId: `snap-${hex(index, 17)}`, deviceName: '/dev/xvda', sizeGiB: 30 }],
    recycleBin: index % 4 === 0 ? { recoverable: true, retentionDays: 7, ruleIds: ['rule-1'] } : { recoverable: false },
    actions:
      mode === 'report'
        ? []
        : verdict === 'safe'
          ? [
              { action: 'tag', outcome: 'done', detail: 'ami-guard:safe-since' },
              {
                action: 'deregister',
                outcome: index % 5 === 0 ? 'failed' : 'done',
                error: index % 5 === 0 ? 'UnauthorizedOperation: not authorized' : undefined,
                snapshots: [{ snapshotId: `snap-${hex(index, 17)}`, returnCode: 'success' }],
              },
            ]
          : [{ action: 'enable-deregistration-protection', outcome: 'done' }],
  };
}

function report(count: number, overrides: Partial<Report> = {}): Report {
  const mode = overrides.mode ?? 'cleanup';
  const images = Array.from({ length: count }, (_, index) => image(index, mode));
  const countOf = (verdict: Verdict) => images.filter((entry) => entry.verdict === verdict).length;
  return {
    schemaVersion: 1,
    runId: '2025-03-10T06-00-00Z-4f2a',
    startedAt: '2025-03-10T06:00:00.000Z',
    finishedAt: '2025-03-10T06:04:10.000Z',
    trigger: 'schedule',
    mode,
    regions: ['us-east-1', 'eu-west-1'],
    summary: {
      imagesScanned: count * 2,
      candidates: count,
      safe: countOf('safe'),
      blocked: countOf('blocked'),
      unverified: countOf('unverified'),
      protected: images.filter((entry) => entry.actions.some((action) => action.action === 'enable-deregistration-protection')).length,
      deregistered: images.filter((entry) => entry.actions.some((action) => action.action === 'deregister' && action.outcome === 'done')).length,
      reclaimableSnapshotGiB: countOf('safe') * 30,
      reclaimedSnapshotGiB: 0,
      stillReclaimableSnapshotGiB: countOf('safe') * 30,
      snapshotPricePerGiBMonth: 0.05,
      estimatedMonthlySavingUsd: countOf('safe') * 30 * 0.05,
    },
    images,
    errors: [],
    ...overrides,
  };
}

function bytes(input: NotificationInput): number {
  return Buffer.byteLength(input.Message, 'utf8') + Buffer.byteLength(input.Subject, 'utf8');
}

function parse(input: NotificationInput): { message: Record<string, unknown>; chatbot: ChatbotNotification } {
  const message = JSON.parse(input.Message) as Record<string, unknown>;
  for (const value of Object.values(message)) expect(typeof value).toBe('string');
  const chatbot = JSON.parse(message.default as string) as ChatbotNotification;
  return { message, chatbot };
}

function expectChatbotShape(chatbot: ChatbotNotification): void {
  expect(chatbot).toEqual({
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: expect.any(String),
      description: expect.any(String),
      nextSteps: expect.any(Array),
      keywords: expect.any(Array),
    },
    metadata: expect.objectContaining({ summary: expect.any(String) }),
  });
  for (const step of chatbot.content.nextSteps) expect(typeof step).toBe('string');
  for (const keyword of chatbot.content.keywords) expect(typeof keyword).toBe('string');
}

function expectValidSubject(subject: string): void {
  expect(subject.length).toBeGreaterThan(0);
  expect(subject.length).toBeLessThanOrEqual(100);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
}

describe('buildNotification', () => {
  it('summarises a small report in full, for email and chat in the same publish', () => {
    const small = report(12);
    const input = buildNotification(small, location);
    expect(input.MessageStructure).toBe('json');
    expect(input.Subject).toBe('Failed: ami-guard [cleanup] us-east-1 +1: 2 unverified, 8 blocked, 2 safe, 1 deregistered');
    const { message, chatbot } = parse(input);
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'https']);
    expect(message.https).toBe(message.default);
    expectChatbotShape(chatbot);
    const email = message.email as string;
    expect(email).toContain('THIS RUN FAILED');
    expect(email).toContain('Blocked (8): still needed; never deregistered');
    expect(email).toContain(`referenced by ec2:Instance arn:aws:ec2:us-east-1:123456789012:instance/i-${hex(0, 17)}`);
    expect(email).toContain('references check failed: RequestLimitExceeded');
    expect(email).toContain('Deregistered (1)');
    expect(email).toContain('Protected (10)');
    expect(email).toContain('deregister failed: UnauthorizedOperation');
    expect(email).toContain(`Full report: ${location.consoleUrl}`);
    expect(email).not.toContain('left out');
    expect(email).toContain('Estimated monthly saving: about $3.00 a month (an estimate: 60 GiB of snapshots of the safe images at $0.05 per GiB-month');
    expect(email).toContain('Safe (2): nothing found that needs them');
    expect(email).toContain(`ami-${hex(5, 17)} (web-server-al2023-2025.05.5-x86_64 ünïcödé) eu-west-1: 30 GiB of snapshots; NOT recoverable through Recycle Bin`);
    expect(chatbot.content.description).toContain('Estimated monthly saving: about $3.00 a month (an estimate');
    expect(chatbot.content.description).not.toContain('Safe (');
    expect(chatbot.content.description).toContain('*8 blocked*');
    expect(chatbot.content.nextSteps[0]).toContain(location.consoleUrl);
    expect(chatbot.metadata.relatedResources).toEqual([location.s3Uri]);
  });

  it('keeps a 3000-image report under the SNS limit, says what it left out and links the full report', () => {
    const large = report(3000);
    const input = buildNotification(large, location);
    expectValidSubject(input.Subject);
    expect(input.Subject).toBe('Failed: ami-guard [cleanup] us-east-1 +1: 500 unverified, 2000 blocked, 500 safe, 400 deregistered');
    expect(bytes(input)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    const { message, chatbot } = parse(input);
    expectChatbotShape(chatbot);
    const email = message.email as string;
    expect(email).toMatch(/Blocked \(2000\)/);
    expect(email).toMatch(/\.\.\. and \d+ more, left out here: see the full report/);
    expect(email).toContain(location.consoleUrl);
    expect(chatbot.content.description).toMatch(/and \d+ more: see the full report/);
    expect(chatbot.content.nextSteps.join(' ')).toContain(location.s3Uri);
  });

  it('fits any budget by listing fewer entries, and never drops the notification', () => {
    const large = report(3000);
    const input = buildNotification(large, location, { maxBytes: 12_000 });
    expect(bytes(input)).toBeLessThan(12_000);
    const { message, chatbot } = parse(input);
    expectChatbotShape(chatbot);
    expect(message.email).toContain('blocked       2000');
    expect(message.email).toContain('left out here');
  });

  it('says for each safe image in the email whether Recycle Bin could restore it', () => {
    const base = report(1, { mode: 'report' });
    const safe = (index: number, recycleBin: ImageEntry['recycleBin']): ImageEntry => ({ ...base.images[0], imageId: `ami-${hex(index, 17)}`, reasons: [], verdict: 'safe', recycleBin });
    const withBins = report(0, {
      mode: 'report',
      images: [
        safe(1, { recoverable: true, retentionDays: 14, ruleIds: ['abcdEFGH123'] }),
        safe(2, { recoverable: false }),
        safe(3, { recoverable: 'unknown', message: 'ListRules: AccessDeniedException' }),
      ],
    });
    const email = parse(buildNotification(withBins, location)).message.email as string;
    expect(email).toContain(`ami-${hex(1, 17)}`);
    expect(email).toMatch(new RegExp(`ami-${hex(1, 17)} .*recoverable through Recycle Bin for 14 days \\(rule abcdEFGH123\\)`));
    expect(email).toMatch(new RegExp(`ami-${hex(2, 17)} .*NOT recoverable through Recycle Bin`));
    expect(email).toMatch(new RegExp(`ami-${hex(3, 17)} .*Recycle Bin recovery unknown: ListRules: AccessDeniedException`));
  });

  it('reports errors and a missing stored report without failing', () => {
    const failed = report(3, {
      errors: [{ message: 'AccessDenied: not authorized to perform ec2:DescribeImages', region: 'eu-west-1', check: 'inventory' }],
    });
    const input = buildNotification(failed, undefined);
    expect(input.Subject).toMatch(/^Failed: .*: 1 error, /);
    const { message, chatbot } = parse(input);
    expect(message.email).toContain('[eu-west-1] inventory: AccessDenied');
    expect(message.email).toContain('could not be stored');
    expect(chatbot.content.keywords).toContain('failed');
    expect(chatbot.metadata.relatedResources).toEqual([]);
  });

  it('keeps the subject printable ASCII, on one line, at most 100 characters', () => {
    const many = report(1, { regions: Array.from({ length: 30 }, (_, index) => `ap-southeast-${index}`) });
    expectValidSubject(buildSubject(many));
    const quiet = report(0, { mode: 'report', regions: ['us-east-1'] });
    expect(buildSubject(quiet)).toBe('All clear: ami-guard [report] us-east-1: no candidates');
  });
});
