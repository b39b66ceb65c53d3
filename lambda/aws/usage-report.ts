// EC2 AMI usage reports: which other accounts use a shared image. Reports are asynchronous: the
// report is created, polled within a bound, then read.

import {
  CreateImageUsageReportCommand,
  DescribeImageUsageReportsCommand,
  paginateDescribeImageUsageReportEntries,
  type DescribeImageUsageReportEntriesResult,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { ImageUsage } from '../engine/model';
import { allMembers, identifier, required, requiredList } from './answers';
import { MalformedAnswerError } from './errors';

export interface UsageReportTiming {
  /** how long to wait for the report in all */
  readonly waitMs: number;
  /** the pause between two polls */
  readonly pollMs: number;
}

export async function imageUsage(client: EC2Client, imageId: string, timing: UsageReportTiming): Promise<ImageUsage> {
  const created = await client.send(
    new CreateImageUsageReportCommand({ ImageId: imageId, ResourceTypes: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate' }] }),
  );
  const reportId = created.ReportId;
  if (!reportId) throw new MalformedAnswerError('CreateImageUsageReport', `no reportId for ${imageId}`);

  const deadline = Date.now() + timing.waitMs;
  for (;;) {
    const described = await client.send(new DescribeImageUsageReportsCommand({ ReportIds: [reportId] }));
    const reports = requiredList('DescribeImageUsageReports', 'imageUsageReportSet', described.ImageUsageReports);
    const state = reports.find((r) => r.ReportId === reportId)?.State;
    if (state === 'available') break;
    if (state === 'failed' || state === 'error') return { status: 'failed', reportId, message: `usage report ${reportId} ended ${state}` };
    if (Date.now() + timing.pollMs > deadline) {
      return { status: 'not-ready', reportId, message: `usage report ${reportId} was not ready after ${Math.round(timing.waitMs / 1000)} s (state ${state ?? 'unknown'})` };
    }
    await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
  }

  const users: { accountId: string; resourceType: string; usageCount: number }[] = [];
  const action = 'DescribeImageUsageReportEntries';
  const pages = paginateDescribeImageUsageReportEntries({ client, pageSize: 1000 }, { ReportIds: [reportId] });
  const spec = {
    listName: 'imageUsageReportEntrySet',
    list: (page: DescribeImageUsageReportEntriesResult) => page.ImageUsageReportEntries,
    token: (page: DescribeImageUsageReportEntriesResult) => page.NextToken,
  };
  for await (const entry of allMembers(action, pages, spec)) {
    users.push({
      accountId: identifier(action, 'accountId', entry.AccountId, 'an entry\'s accountId'),
      resourceType: required(action, entry.ResourceType, 'an entry\'s resourceType'),
      usageCount: entry.UsageCount ?? 0,
    });
  }
  return { status: 'ready', reportId, users };
}
