// Stores a run's full report in the report bucket: the JSON contract, its Markdown rendering and
// the HTML page with the lineage graph, side by side under one key.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Report, ReportLocation } from '../contract';

export interface StoredReport {
  readonly json: ReportLocation;
  readonly markdown: ReportLocation;
  readonly html: ReportLocation;
}

/** The report rendered for people: Markdown and a self-contained HTML page. */
export interface Renderings {
  readonly markdown: string;
  readonly html: string;
}

export interface ReportStore {
  save(report: Report, renderings: Renderings): Promise<StoredReport>;
}

export function createReportStore(
  bucket: string,
  region: string,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): ReportStore {
  // A local endpoint (the sandbox) serves buckets by path, not by virtual host name.
  const client = new S3Client({
    forcePathStyle: Boolean(environment.AWS_ENDPOINT_URL_S3 || environment.AWS_ENDPOINT_URL),
  });
  const put = async (key: string, body: string, contentType: string): Promise<ReportLocation> => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    return reportLocation(bucket, key, region);
  };
  return {
    async save(report, renderings) {
      const key = reportKey(report);
      const json = await put(`${key}.json`, JSON.stringify(report, null, 2), 'application/json; charset=utf-8');
      const markdown = await put(`${key}.md`, renderings.markdown, 'text/markdown; charset=utf-8');
      const html = await put(`${key}.html`, renderings.html, 'text/html; charset=utf-8');
      return { json, markdown, html };
    },
  };
}

/** `reports/YYYY/MM/DD/<runId>` (UTC date the run started), without the extension. */
export function reportKey(report: Pick<Report, 'runId' | 'startedAt'>): string {
  const started = new Date(report.startedAt);
  const date = Number.isNaN(started.getTime()) ? new Date(0) : started;
  const day = date.toISOString().slice(0, 10).replace(/-/g, '/');
  return `reports/${day}/${report.runId.replace(/[^A-Za-z0-9._-]/g, '-')}`;
}

export function reportLocation(bucket: string, key: string, region: string): ReportLocation {
  const query = new URLSearchParams({ region, prefix: key, showversions: 'false' });
  return {
    s3Uri: `s3://${bucket}/${key}`,
    consoleUrl: `https://${region}.console.aws.amazon.com/s3/object/${encodeURIComponent(bucket)}?${query.toString()}`,
  };
}
