import { jsonChunks, renderJson } from '../../lambda/report/json';
import type { Report } from '../../lambda/contract';

const report = (images: number, errors: number): Report => ({
  schemaVersion: 1,
  runId: 'r',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  trigger: 'cli',
  mode: 'report',
  regions: ['us-east-1'],
  summary: {
    imagesScanned: images,
    candidates: images,
    safe: images,
    blocked: 0,
    unverified: 0,
    protected: 0,
    deregistered: 0,
    reclaimableSnapshotGiB: 8 * images,
    reclaimedSnapshotGiB: 0,
    stillReclaimableSnapshotGiB: 8 * images,
    estimatedMonthlySavingUsd: 0.4 * images,
    snapshotPricePerGiBMonth: 0.05,
  },
  images: Array.from({ length: images }, (_, i) => ({
    imageId: `ami-0000000${i}`,
    region: 'us-east-1',
    name: `web "${i}"\nline`,
    creationDate: '2025-01-01T00:00:00.000Z',
    verdict: 'safe' as const,
    reasons: [],
    lineage: [{ imageId: `ami-0000000${i}`, region: 'us-east-1' }],
    snapshots: [],
    actions: [],
    recycleBin: { recoverable: false },
  })),
  errors: Array.from({ length: errors }, (_, i) => ({ message: `e${i}` })),
});

describe('the JSON report written in pieces', () => {
  it.each([
    [0, 0],
    [1, 0],
    [3, 2],
  ])('is exactly JSON.stringify(report, null, 2) with %i images and %i errors', (images, errors) => {
    const whole = report(images, errors);
    expect(renderJson(whole)).toBe(`${JSON.stringify(whole, null, 2)}\n`);
    expect([...jsonChunks(whole)].length).toBe(images + 2);
  });
});
