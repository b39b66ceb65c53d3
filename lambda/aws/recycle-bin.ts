// Recycle Bin retention rules for AMIs in one region: ListRules (every page), then GetRule for each
// rule's resource tags and status, which ListRules does not return.

import { GetRuleCommand, paginateListRules, type RbinClient } from '@aws-sdk/client-rbin';
import type { RecycleBinRule } from '../engine/model';
import { MalformedAnswerError } from './errors';

const DAYS_PER_UNIT: Record<string, number> = { DAYS: 1 };

export async function listImageRetentionRules(client: RbinClient): Promise<RecycleBinRule[]> {
  const rules: RecycleBinRule[] = [];
  for await (const page of paginateListRules({ client, pageSize: 100 }, { ResourceType: 'EC2_IMAGE' })) {
    if (page.Rules === undefined) throw new MalformedAnswerError('ListRules', 'no Rules');
    for (const summary of page.Rules) {
      if (!summary.Identifier) throw new MalformedAnswerError('ListRules', 'a rule without Identifier');
      const rule = await client.send(new GetRuleCommand({ Identifier: summary.Identifier }));
      const period = rule.RetentionPeriod ?? summary.RetentionPeriod;
      const perUnit = DAYS_PER_UNIT[period?.RetentionPeriodUnit ?? ''];
      if (period?.RetentionPeriodValue === undefined || perUnit === undefined) {
        throw new MalformedAnswerError('GetRule', `rule ${summary.Identifier} has no retention period in days`);
      }
      rules.push({
        ruleId: summary.Identifier,
        retentionDays: period.RetentionPeriodValue * perUnit,
        available: rule.Status === 'available',
        resourceTags: (rule.ResourceTags ?? []).map((tag) => ({ key: tag.ResourceTagKey ?? '', value: tag.ResourceTagValue })),
      });
    }
  }
  return rules;
}
