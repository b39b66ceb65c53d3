// Invoking the Lambda handler in-process (or its bundle) against a sandbox: the environment the
// function gets, a Lambda context, and checks of what it stores and publishes.

import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { Report } from '../../lambda/contract';
import type { ChatbotNotification } from '../../lambda/report/notification';
import type { Sandbox } from '../../sandbox';

export const SNS_LIMIT_BYTES = 262_144;

/** Sets process.env as the deployed function sees it (settings, bucket, topic), pointed at the sandbox. */
export function setFunctionEnvironment(
  base: NodeJS.ProcessEnv,
  sandbox: Sandbox,
  target: { readonly bucket: string; readonly topicArn: string },
  settings: Readonly<Record<string, string>> = {},
): void {
  for (const key of Object.keys(process.env)) if (key.startsWith('AMI_GUARD_')) delete process.env[key];
  Object.assign(process.env, base, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    REPORT_BUCKET: target.bucket,
    TOPIC_ARN: target.topicArn,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...settings,
  });
}

/** A Lambda context with `remainingMs` before the function's timeout (15 minutes, as deployed). */
export function lambdaContext(remainingMs = 900_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'AmiGuardFunction',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:AmiGuardFunction',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/AmiGuardFunction',
    logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export const eventBridgeEvent = (): Record<string, unknown> => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '111122223333',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:111122223333:rule/AmiGuard-Schedule'],
  detail: {},
});

export const schedulerEvent = (): Record<string, unknown> => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.scheduler',
  account: '111122223333',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:scheduler:us-east-1:111122223333:schedule/default/ami-guard'],
  detail: '{}',
});

/** The documented key of a run's report: reports/YYYY/MM/DD/<runId> (UTC date the run started). */
export function documentedKey(report: Report): string {
  return `reports/${report.startedAt.slice(0, 10).replace(/-/g, '/')}/${report.runId}`;
}

/** The JSON and Markdown objects the run stored, checked against the returned report. */
export function expectStored(sandbox: Sandbox, bucket: string, report: Report): { json: Report; markdown: string } {
  const key = documentedKey(report);
  const json = sandbox.state.objects.get(`${bucket}/${key}.json`);
  const markdown = sandbox.state.objects.get(`${bucket}/${key}.md`);
  if (json === undefined || markdown === undefined) {
    throw new Error(`report objects missing under ${bucket}/${key}; stored: ${[...sandbox.state.objects.keys()].join(', ')}`);
  }
  expect(json.contentType).toMatch(/^application\/json/);
  expect(markdown.contentType).toMatch(/^text\/markdown/);
  const stored = JSON.parse(json.body.toString('utf8')) as Report;
  expect(stored).toEqual(report);
  const text = markdown.body.toString('utf8');
  expect(text).toContain(report.runId);
  const html = sandbox.state.objects.get(`${bucket}/${key}.html`);
  expect(html?.contentType).toMatch(/^text\/html/);
  expect(html?.body.toString('utf8')).toContain(report.runId);
  return { json: stored, markdown: text };
}

export interface PublishedNotification {
  readonly subject: string;
  readonly email: string;
  readonly chatbot: ChatbotNotification;
  readonly bytes: number;
}

/** Parses one published SNS message and checks it against SNS's and Chatbot's rules. */
export function expectValidNotification(published: Sandbox['state']['published'][number], report: Report, bucket: string): PublishedNotification {
  const subject = published.subject ?? '';
  expect(subject.length).toBeGreaterThan(0);
  expect(subject.length).toBeLessThanOrEqual(100);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
  expect(published.messageStructure).toBe('json');
  const bytes = Buffer.byteLength(published.message, 'utf8') + Buffer.byteLength(subject, 'utf8');
  expect(bytes).toBeLessThan(SNS_LIMIT_BYTES);

  const message = JSON.parse(published.message) as Record<string, unknown>;
  expect(Object.keys(message).sort()).toEqual(['default', 'email', 'https']);
  for (const value of Object.values(message)) expect(typeof value).toBe('string');
  expect(message.https).toBe(message.default);
  const chatbot = JSON.parse(message.default as string) as ChatbotNotification;
  expect(chatbot).toEqual({
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: subject,
      description: expect.any(String),
      nextSteps: expect.any(Array),
      keywords: expect.any(Array),
    },
    metadata: {
      summary: subject,
      eventType: 'ami-guard-report',
      relatedResources: [`s3://${bucket}/${documentedKey(report)}.json`],
      additionalContext: { runId: report.runId, mode: report.mode, trigger: report.trigger },
    },
  });
  for (const step of chatbot.content.nextSteps) expect(typeof step).toBe('string');
  for (const keyword of chatbot.content.keywords) expect(typeof keyword).toBe('string');

  const email = message.email as string;
  expect(email).toContain(`s3://${bucket}/${documentedKey(report)}.json`);
  expect(email).toContain(`${report.summary.candidates} candidates of ${report.summary.imagesScanned} images scanned`);
  expect(email).toContain('Estimated monthly saving: about $');
  return { subject, email, chatbot, bytes };
}
