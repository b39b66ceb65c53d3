// Where a Lambda run's report goes: the report bucket (JSON, Markdown, HTML) and one SNS notification.
// Shared by the scheduled/manual handler and the organization's decide step.

import type { Logger } from '@aws-lambda-powertools/logger';
import type { Report } from './contract';
import { createPublisher } from './aws/notify';
import { createReportStore, type StoredReport } from './aws/report-store';
import { renderHtml } from './report/html';
import { renderMarkdown } from './report/markdown';
import { buildNotification } from './report/notification';

// Static imports: a dynamic import() here would make the bundler keep whole SDK clients
// (scripts/bundle.ts). The clients themselves are made when a report is delivered.

export interface Destination {
  readonly reportBucket: string;
  readonly region: string;
  readonly topicArn: string;
}

/** The bucket, topic and region a deployed function was given; a missing one is a deployment error. */
export function destinationFromEnvironment(environment: Readonly<Record<string, string | undefined>>): Destination {
  const required = (name: string): string => {
    const value = environment[name];
    if (!value) throw new Error(`invalid environment: ${name} is not set`);
    return value;
  };
  return { region: required('AWS_REGION'), reportBucket: required('REPORT_BUCKET'), topicArn: required('TOPIC_ARN') };
}

/** Stores the report; undefined when it could not (the run then fails, after notifying). */
export async function storeReport(report: Report, destination: Destination, logger: Logger): Promise<StoredReport | undefined> {
  try {
    // The stored Markdown is the whole report: the bucket has no comment-size limit.
    const renderings = { markdown: renderMarkdown(report, { limit: Infinity }), html: renderHtml(report) };
    const stored = await createReportStore(destination.reportBucket, destination.region).save(report, renderings);
    logger.info('report stored', { location: stored.json.s3Uri });
    return stored;
  } catch (error) {
    // Notify anyway: the notification says the report could not be stored, and the run fails.
    logger.error('report not stored', { error: error as Error });
    return undefined;
  }
}

/** Publishes the one notification of the run; false when it could not. */
export async function notify(report: Report, stored: StoredReport | undefined, destination: Destination, logger: Logger): Promise<boolean> {
  try {
    const messageId = await createPublisher(destination.topicArn)(buildNotification(report, stored?.json, { html: stored?.html }));
    logger.info('notification published', { messageId });
    return true;
  } catch (error) {
    logger.error('notification not published', { error: error as Error });
    return false;
  }
}
