// The one rule for how a run ended: it serves the CLI's exit status, the Lambda's decision to
// fail the invocation, and the first words of every notification and report.

import type { Report, RunConfig } from '../contract';

export type OutcomeStatus = 'failed' | 'needs-attention' | 'all-clear';

export interface RunOutcome {
  readonly status: OutcomeStatus;
  /** the run could not prove every verdict: run errors (a failed check or action) or unverified images */
  readonly failed: boolean;
  /** `Failed`, `Needs attention`, `All clear` */
  readonly label: string;
  /** the counts that matter, problems first, zeros left out: `2 errors, 5 unverified, 12 blocked, 40 safe` */
  readonly counts: string;
  /** 0: completed (check: every image safe); 1: failed, or check found an image that is not safe */
  readonly exitCode: 0 | 1;
}

export type Command = RunConfig['command'];

const LABELS: Record<OutcomeStatus, string> = {
  failed: 'Failed',
  'needs-attention': 'Needs attention',
  'all-clear': 'All clear',
};

/**
 * How a run ended.
 * - failed: a run error (a check or an action that failed, the time limit) or an unverified image;
 * - needs attention: nothing failed, but a person has something to decide: check found an image
 *   still needed (do not deregister it); a scan that changes nothing found safe images to clean up;
 * - all clear: otherwise.
 * A manual Lambda invocation is always a check and a scheduled one a scan, so the command follows
 * from the trigger unless the CLI says which it ran.
 */
export function runOutcome(report: Report, command: Command = commandOf(report)): RunOutcome {
  const { summary } = report;
  const failed = report.errors.length > 0 || summary.unverified > 0;
  const attention = command === 'check' ? summary.blocked > 0 : report.mode !== 'cleanup' && summary.safe > 0;
  const status: OutcomeStatus = failed ? 'failed' : attention ? 'needs-attention' : 'all-clear';
  const notSafe = command === 'check' && summary.blocked > 0;
  return { status, failed, label: LABELS[status], counts: countsOf(report), exitCode: failed || notSafe ? 1 : 0 };
}

export function commandOf(report: Pick<Report, 'trigger'>): Command {
  return report.trigger === 'manual' ? 'check' : 'scan';
}

function countsOf(report: Report): string {
  const { summary } = report;
  const counts: [number, string, string][] = [
    [report.errors.length, 'error', 'errors'],
    [summary.unverified, 'unverified', 'unverified'],
    [summary.blocked, 'blocked', 'blocked'],
    [summary.safe, 'safe', 'safe'],
    [summary.deregistered, 'deregistered', 'deregistered'],
  ];
  const shown = counts.filter(([count]) => count > 0).map(([count, one, many]) => `${count} ${count === 1 ? one : many}`);
  return shown.length > 0 ? shown.join(', ') : 'no candidates';
}
