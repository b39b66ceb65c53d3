// Recycle Bin retention rules for AMIs in one region: ListRules (every page), then GetRule for each
// rule's resource tags and status, which ListRules does not return.

import { GetRuleCommand, paginateListRules, type ListRulesResponse, type RbinClient } from '@aws-sdk/client-rbin';
import type { RecycleBinRule } from '../engine/model';
import { allMembers, required, requiredList } from './answers';
import { MalformedAnswerError } from './errors';

const DAYS_PER_UNIT = new Map([['DAYS', 1]]);

export async function listImageRetentionRules(client: RbinClient): Promise<RecycleBinRule[]> {
  const rules: RecycleBinRule[] = [];
  const pages = paginateListRules({ client, pageSize: 100 }, { ResourceType: 'EC2_IMAGE' });
  const spec = { listName: 'Rules', list: (page: ListRulesResponse) => page.Rules, token: (page: ListRulesResponse) => page.NextToken };
  for await (const summary of allMembers('ListRules', pages, spec)) {
    const ruleId = required('ListRules', summary.Identifier, 'a rule\'s Identifier');
    const rule = await client.send(new GetRuleCommand({ Identifier: ruleId }));
    const period = rule.RetentionPeriod ?? summary.RetentionPeriod;
    const perUnit = DAYS_PER_UNIT.get(period?.RetentionPeriodUnit ?? '');
    if (period?.RetentionPeriodValue === undefined || perUnit === undefined) {
      throw new MalformedAnswerError('GetRule', `rule ${ruleId} has no retention period in days`);
    }
    rules.push({
      ruleId,
      retentionDays: period.RetentionPeriodValue * perUnit,
      available: rule.Status === 'available',
      resourceTags: requiredList('GetRule', `ResourceTags of rule ${ruleId}`, rule.ResourceTags).map((tag) => ({
        key: required('GetRule', tag.ResourceTagKey, `a ResourceTagKey of rule ${ruleId}`),
        value: tag.ResourceTagValue,
      })),
    });
  }
  return rules;
}
