// The JSON report (the Report type of contract.ts, schemaVersion 1), built from the run's decisions and outcomes.

import { DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH, type ImageEntry, type Report, type ReportSummary, type RunConfig, type RunError } from '../contract';

export interface ReportInput {
  readonly config: RunConfig;
  readonly runId: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly imagesScanned: number;
  readonly images: readonly ImageEntry[];
  readonly errors: readonly RunError[];
}

export function buildReport(input: ReportInput): Report {
  return {
    schemaVersion: 1,
    runId: input.runId,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    trigger: input.config.trigger,
    mode: input.config.mode,
    ...(input.config.dryRun === true ? { dryRun: true as const } : {}),
    regions: [...input.config.regions],
    summary: summarise(input.imagesScanned, input.images, input.config.snapshotPricePerGiBMonth ?? DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH),
    images: input.images,
    errors: input.errors,
  };
}

function summarise(imagesScanned: number, images: readonly ImageEntry[], pricePerGiBMonth: number): ReportSummary {
  const count = (verdict: ImageEntry['verdict']): number => images.filter((i) => i.verdict === verdict).length;
  const done = (image: ImageEntry, action: string): boolean => image.actions.some((a) => a.action === action && a.outcome === 'done');
  const gib = (sizes: number[]): number => Math.round(sizes.reduce((a, b) => a + b, 0) * 100) / 100;
  const sizeOf = (image: ImageEntry, snapshotId: string): number =>
    image.snapshots.find((s) => s.snapshotId === snapshotId)?.sizeGiB ?? 0;
  const reclaimableSnapshotGiB = gib(images.filter((i) => i.verdict === 'safe').flatMap((i) => i.snapshots.map((s) => s.sizeGiB)));
  return {
    imagesScanned,
    candidates: images.length,
    safe: count('safe'),
    blocked: count('blocked'),
    unverified: count('unverified'),
    protected: images.filter((i) => done(i, 'enable-deregistration-protection')).length,
    deregistered: images.filter((i) => done(i, 'deregister')).length,
    reclaimableSnapshotGiB,
    reclaimedSnapshotGiB: gib(
      images.flatMap((image) =>
        image.actions
          .filter((a) => a.action === 'deregister' && a.outcome === 'done')
          .flatMap((a) => (a.snapshots ?? []).filter((s) => s.returnCode === 'success').map((s) => sizeOf(image, s.snapshotId))),
      ),
    ),
    stillReclaimableSnapshotGiB: gib(images.filter((i) => i.verdict === 'safe' && !done(i, 'deregister')).flatMap((i) => i.snapshots.map((s) => s.sizeGiB))),
    estimatedMonthlySavingUsd: Math.round(reclaimableSnapshotGiB * pricePerGiBMonth * 100) / 100,
    snapshotPricePerGiBMonth: pricePerGiBMonth,
  };
}

/**
 * The report as pretty JSON, in pieces: one image entry at a time, so a large report is written
 * out without ever holding the whole text (the same text as JSON.stringify(report, null, 2)).
 */
export function* jsonChunks(report: Report): Generator<string> {
  const { images, errors, ...head } = report;
  const indent = (text: string, spaces: string): string => text.replace(/\n/g, `\n${spaces}`);
  const opening = JSON.stringify(head, null, 2);
  yield `${opening.slice(0, -2)},\n  "images": [`;
  for (let i = 0; i < images.length; i += 1) yield `${i === 0 ? '' : ','}\n    ${indent(JSON.stringify(images[i], null, 2), '    ')}`;
  yield `${images.length > 0 ? '\n  ' : ''}],\n  "errors": ${indent(JSON.stringify(errors, null, 2), '  ')}\n}\n`;
}

export const renderJson = (report: Report): string => [...jsonChunks(report)].join('');
