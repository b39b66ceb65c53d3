// The text report (lambda/report/text.ts): the outcome and counts first, then the errors and the
// sections problems first, each image in its verdict's lines, each thing said once.

import type { ActionEntry, ImageEntry } from '../../lambda/contract';
import { renderText } from '../../lambda/report/text';
import { imageEntry, imageIdOf, reportOf, reportWith } from './report-fixture';

// fixture indexes: 0, 1, 2 blocked; 3 unverified; 4, 5 safe (4 recoverable through Recycle Bin, 5 not)
const occurrences = (text: string, part: string): number => text.split(part).length - 1;
/** The lines of one image: from its first line to the next image's or the section's end. */
function imageLines(text: string, imageId: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.includes(imageId));
  const end = lines.findIndex((line, at) => at > start && !line.startsWith('      '));
  return lines.slice(start, end);
}

describe('renderText', () => {
  it('leads with the outcome, then the counts line, then the money, and ends with a newline', () => {
    const lines = renderText(reportOf(6)).split('\n');
    expect(lines[0]).toBe('ami-guard: Failed: 1 unverified, 3 blocked, 2 safe (report run 2026-03-10T06-00-00Z-4f2a, schedule, in us-east-1, eu-west-1)');
    expect(lines[1]).toBe('12 images scanned, 6 candidates: 2 safe, 3 blocked, 1 unverified');
    expect(lines[2]).toBe(
      "reclaimed this run: 0 GiB of snapshots; still reclaimable: 60 GiB (the safe images' snapshots: an estimated $3.00 a month at $0.05 per GiB-month)",
    );
    expect(lines[3]).toBe('');
    expect(renderText(reportOf(6)).endsWith('\n')).toBe(true);
  });

  it('a mode that changes images says what it protected and deregistered; report mode does not', () => {
    const report = reportOf(6);
    const cleanup = renderText({ ...report, mode: 'cleanup', summary: { ...report.summary, protected: 3, deregistered: 1, reclaimedSnapshotGiB: 30 } });
    expect(cleanup.split('\n')[2]).toBe('3 protected, 1 deregistered (30 GiB of snapshots deleted)');
    expect(renderText(report)).not.toContain('protected,');
  });

  it('puts the problems first: errors, then unverified, blocked, safe; empty sections left out', () => {
    const text = renderText(reportOf(6, { errors: [{ check: 'references', region: 'eu-west-1', message: 'RequestLimitExceeded' }] }));
    const at = (part: string): number => text.indexOf(part);
    expect(at('\nERRORS (1)\n')).toBeGreaterThan(0);
    expect(at('\nUNVERIFIED: a check did not complete; treated as blocked (1)\n')).toBeGreaterThan(at('ERRORS'));
    expect(at('\nBLOCKED: still needed (3)\n')).toBeGreaterThan(at('UNVERIFIED'));
    expect(at('\nSAFE: nothing found that needs them (2)\n')).toBeGreaterThan(at('BLOCKED'));
    expect(at(imageIdOf(3))).toBeGreaterThan(at('UNVERIFIED'));
    expect(at(imageIdOf(3))).toBeLessThan(at('BLOCKED'));
    const safeOnly = renderText(reportWith([imageEntry(4)]));
    expect(safeOnly).not.toContain('ERRORS');
    expect(safeOnly).not.toContain('UNVERIFIED');
    expect(safeOnly).not.toContain('BLOCKED');
    expect(safeOnly).toContain('SAFE: nothing found that needs them (1)');
  });

  it('writes each error once', () => {
    const errors = [
      { check: 'references' as const, region: 'eu-west-1', imageId: 'ami-0123', message: 'RequestLimitExceeded' },
      { check: 'notify' as const, message: 'SNS refused' },
    ];
    const text = renderText(reportOf(6, { errors }));
    expect(text).toContain('\nERRORS (2)\n  - [eu-west-1] ami-0123 references: RequestLimitExceeded\n  - notify: SNS refused\n');
    expect(occurrences(text, 'RequestLimitExceeded\n')).toBe(1);
    expect(occurrences(text, 'SNS refused')).toBe(1);
  });

  it('blocked and unverified images: their reasons, no Recycle Bin line', () => {
    expect(imageLines(renderText(reportOf(6)), imageIdOf(0))).toEqual([
      `  ${imageIdOf(0)}  us-east-1  web-server-2024.00.0  2024-01-15T10:00:00.000Z`,
      '      419 days old, last launched: 2024-06-01 (282 days ago)',
      `      candidate: ${imageEntry(0).candidateBecause}`,
      '      - referenced by ec2:Instance arn:aws:ec2:us-east-1:123456789012:instance/i-00000000000000000',
    ]);
    expect(imageLines(renderText(reportOf(6)), imageIdOf(3))).toEqual([
      `  ${imageIdOf(3)}  eu-west-1  api-2024.03.3  2024-01-15T10:00:00.000Z`,
      '      419 days old, last launched: never on record',
      `      candidate: ${imageEntry(3).candidateBecause}`,
      '      - references check failed: RequestLimitExceeded: Request limit exceeded.',
    ]);
  });

  it('safe images: their dates and Recycle Bin line, each written once, and no reasons', () => {
    const dated: ImageEntry = { ...imageEntry(4), safeSince: '2025-03-01T06:00:00.000Z', eligibleOn: '2025-03-15T06:00:00.000Z' };
    const text = renderText(reportWith([dated, imageEntry(5)]));
    expect(imageLines(text, imageIdOf(4))).toEqual([
      `  ${imageIdOf(4)}  us-east-1  etl-2024.04.4  2024-01-15T10:00:00.000Z`,
      '      419 days old, last launched: 2024-06-01 (282 days ago)',
      `      candidate: ${dated.candidateBecause}`,
      '      safe since 2025-03-01, eligible for cleanup on 2025-03-15',
      '      recycle bin: recoverable through Recycle Bin for 7 days (rule rule-1)',
    ]);
    expect(imageLines(text, imageIdOf(5))).toEqual([
      `  ${imageIdOf(5)}  eu-west-1  web-server-2024.05.5  2024-01-15T10:00:00.000Z`,
      '      419 days old, last launched: never on record',
      `      candidate: ${imageEntry(5).candidateBecause}`,
      '      recycle bin: NOT recoverable through Recycle Bin (no retention rule covers it)',
    ]);
    expect(occurrences(text, 'safe since')).toBe(1);
    expect(occurrences(text, 'recoverable through Recycle Bin for 7 days')).toBe(1);
    expect(text).not.toContain('nothing found that needs it\n');
  });

  it('the quarantine dates of a safe image', () => {
    const quarantined: ImageEntry = {
      ...imageEntry(4),
      safeSince: '2025-01-01T00:00:00.000Z',
      eligibleOn: '2025-01-15T00:00:00.000Z',
      quarantinedSince: '2025-01-20T00:00:00.000Z',
      deregisterOn: '2025-02-19T00:00:00.000Z',
    };
    expect(imageLines(renderText(reportWith([quarantined])), imageIdOf(4))[3]).toBe(
      '      safe since 2025-01-01, eligible for cleanup on 2025-01-15, quarantined (disabled) since 2025-01-20, deregistered on 2025-02-19 if still safe then',
    );
  });

  it('a dry run: says so under the counts, and lists the planned actions; a shared wait is counted once at the top', () => {
    const planned: ActionEntry[] = [
      { action: 'tag', outcome: 'planned', detail: 'ami-guard:verdict=safe/ami-1' },
      { action: 'deregister', outcome: 'planned', detail: 'after a re-check right before it; snapshots that would be deleted: snap-1 (30 GiB)' },
    ];
    const wait: ActionEntry = { action: 'deregister', outcome: 'skipped', detail: '--max-deregister 1 reached in this run' };
    const report = reportWith([{ ...imageEntry(4), actions: planned }, { ...imageEntry(5), actions: [wait] }], { dryRun: true, mode: 'cleanup' });
    const text = renderText(report);
    const lines = text.split('\n');
    expect(lines[2]).toBe('DRY RUN: nothing was changed in AWS; the actions listed are the plan');
    expect(lines.slice(5, 6)).toEqual(['1 image past their grace wait for later runs: --max-deregister 1 reached']);
    expect(imageLines(text, imageIdOf(4)).slice(-2)).toEqual([
      '      > tag: planned - ami-guard:verdict=safe/ami-1',
      '      > deregister: planned - after a re-check right before it; snapshots that would be deleted: snap-1 (30 GiB)',
    ]);
    expect(occurrences(text, '--max-deregister 1 reached')).toBe(1);
    expect(renderText(reportOf(1))).not.toContain('DRY RUN');
  });

  it('organization mode: the account first; an image without a name or region said so', () => {
    const entry: ImageEntry = { ...imageEntry(4), accountId: '444455556666', name: '', region: '', creationDate: '' };
    const lines = imageLines(renderText(reportWith([entry])), imageIdOf(4));
    expect(lines[0]).toBe(`  444455556666  ${imageIdOf(4)}  -  (no name)`);
    // no creation date: no age line
    expect(lines[1]).toBe(`      candidate: ${entry.candidateBecause}`);
  });
});
