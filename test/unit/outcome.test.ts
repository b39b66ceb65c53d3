import type { Report } from '../../lambda/contract';
import { buildNotification, type ChatbotNotification, type ReportLocation } from '../../lambda/report/notification';
import { runOutcome } from '../../lambda/report/outcome';
import { renderText } from '../../lambda/report/text';
import { imageIdOf, reportOf } from './report-fixture';

const json: ReportLocation = { s3Uri: 's3://bucket/reports/2025/03/10/run.json', consoleUrl: 'https://console.example/run.json' };
const html: ReportLocation = { s3Uri: 's3://bucket/reports/2025/03/10/run.html', consoleUrl: 'https://console.example/run.html' };

/** A report with only these verdicts (by fixture index: 0 blocked, 3 unverified, 4 safe). */
function withImages(indexes: number[], overrides: Partial<Report> = {}): Report {
  const all = reportOf(6);
  const images = indexes.map((index) => all.images[index]);
  const count = (verdict: string): number => images.filter((image) => image.verdict === verdict).length;
  return {
    ...all,
    images,
    summary: { ...all.summary, candidates: images.length, safe: count('safe'), blocked: count('blocked'), unverified: count('unverified'), reclaimableSnapshotGiB: count('safe') * 30 },
    ...overrides,
  };
}

function chatbotOf(report: Report): ChatbotNotification {
  const message = JSON.parse(buildNotification(report, json, { html }).Message) as Record<string, string>;
  return JSON.parse(message.default) as ChatbotNotification;
}

describe('runOutcome: one rule for the exit status, the Lambda failure and the notification', () => {
  it('fails on a run error or an unverified image, whatever the command', () => {
    const unverified = withImages([3, 4]);
    expect(runOutcome(unverified, 'scan')).toMatchObject({ status: 'failed', failed: true, exitCode: 1, counts: '1 unverified, 1 safe' });
    const errored = withImages([4], { errors: [{ check: 'inventory', region: 'eu-west-1', message: 'AccessDenied' }] });
    expect(runOutcome(errored, 'check')).toMatchObject({ status: 'failed', exitCode: 1, counts: '1 error, 1 safe' });
  });

  it('check: a blocked image needs attention and exits 1; every image safe is all clear', () => {
    expect(runOutcome(withImages([0, 4]), 'check')).toMatchObject({ status: 'needs-attention', failed: false, exitCode: 1 });
    expect(runOutcome(withImages([4, 5]), 'check')).toMatchObject({ status: 'all-clear', exitCode: 0, counts: '2 safe' });
  });

  it('scan: safe images left by a mode that deregisters nothing need attention; blocked ones alone do not; exit 0', () => {
    expect(runOutcome(withImages([0, 4]), 'scan')).toMatchObject({ status: 'needs-attention', exitCode: 0 });
    expect(runOutcome(withImages([0, 4], { mode: 'cleanup' }), 'scan')).toMatchObject({ status: 'all-clear', exitCode: 0 });
    expect(runOutcome(withImages([0]), 'scan')).toMatchObject({ status: 'all-clear', exitCode: 0, counts: '1 blocked' });
    expect(runOutcome(withImages([]), 'scan')).toMatchObject({ status: 'all-clear', counts: 'no candidates' });
  });

  it('takes the command from the trigger for the Lambda: manual is check, schedule is scan', () => {
    expect(runOutcome(withImages([0], { trigger: 'manual' })).status).toBe('needs-attention');
    expect(runOutcome(withImages([0], { trigger: 'schedule' })).status).toBe('all-clear');
  });
});

describe('notifications lead with the outcome', () => {
  it('puts the outcome first in the subject and the Slack title, then the counts that are not zero', () => {
    const failed = withImages([0, 3, 4], { errors: [{ check: 'references', message: 'throttled' }] });
    const input = buildNotification(failed, json, { html });
    expect(input.Subject).toBe('Failed: ami-guard [report] us-east-1 +1: 1 error, 1 unverified, 1 blocked, 1 safe');
    const chatbot = chatbotOf(failed);
    expect(chatbot.content.title).toBe(input.Subject);
    expect(chatbot.content.description.split('\n')[0]).toBe(':warning: *This run failed*: 1 error, 1 image could not be verified.');
    expect(buildNotification(withImages([4]), json).Subject).toBe('Needs attention: ami-guard [report] us-east-1 +1: 1 safe');
    expect(buildNotification(withImages([4], { mode: 'cleanup' }), json).Subject).toBe('All clear: ami-guard [cleanup] us-east-1 +1: 1 safe');
  });

  it('does not emphasise zeros in the Slack message', () => {
    const description = chatbotOf(withImages([4, 5])).content.description;
    expect(description).not.toMatch(/\*0 /);
    expect(description).not.toContain('unverified');
    expect(description.split('\n')[0]).toBe('2 safe of 2 candidates (12 images scanned in us-east-1 +1).');
    expect(chatbotOf(withImages([0, 4])).content.description).toContain('*1 blocked*, 1 safe of 2 candidates');
  });

  it('links the HTML report from the email and the Slack message', () => {
    const input = buildNotification(withImages([0, 4]), json, { html });
    const message = JSON.parse(input.Message) as Record<string, string>;
    expect(message.email).toContain(`HTML report (lineage graph, filterable table): ${html.consoleUrl}`);
    expect(message.email).toContain(`Full report: ${json.consoleUrl}`);
    expect(chatbotOf(withImages([0, 4])).content.nextSteps[0]).toBe(`Lineage graph and filterable table: <${html.consoleUrl}|HTML report>`);
  });
});

describe('the text report', () => {
  it('leads with the outcome and gives each image its age, last launch and why it is a candidate', () => {
    const text = renderText(withImages([0, 4]), 'check');
    expect(text.split('\n')[0]).toBe('ami-guard: Needs attention: 1 blocked, 1 safe (report run 2026-03-10T06-00-00Z-4f2a, schedule, in us-east-1, eu-west-1)');
    expect(text.split('\n')[1]).toBe('12 images scanned, 2 candidates: 1 safe, 1 blocked, 0 unverified');
    const lines = text.split('\n');
    const at = lines.findIndex((line) => line.includes(imageIdOf(4)));
    expect(lines[at + 1]).toBe('      419 days old, last launched: 2024-06-01 (282 days ago)');
    expect(lines[at + 2]).toMatch(/^ {6}candidate: created 420 days ago \(at least 30\)/);
    expect(lines[at + 3]).toBe('      recycle bin: recoverable through Recycle Bin for 7 days (rule rule-1)');
    const blocked = lines.findIndex((line) => line.includes(imageIdOf(0)));
    expect(lines[blocked + 3]).toMatch(/^ {6}- referenced by ec2:Instance /);
  });
});
