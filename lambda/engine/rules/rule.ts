// What every verdict rule is: the reason code it gives, what it checks, and the reasons for an image.

import type { Reason } from '../../contract';
import type { LineageIndex } from '../lineage';
import type { Evidence, ImageRecord } from '../model';

export interface RuleContext {
  readonly index: LineageIndex;
  readonly evidence: Evidence;
}

export interface Rule {
  /** the reason code the rule gives; any rule may also give `check-failed` for a check that did not complete */
  readonly code: Reason['code'];
  /** what the rule reads, one line */
  readonly checks: string;
  readonly reasons: (image: ImageRecord, context: RuleContext) => Reason[];
}
