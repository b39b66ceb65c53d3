// Whether a deregistration could be undone: the Recycle Bin retention rules covering an image.

import type { RecycleBinStatus } from '../contract';
import { tagValue, type Evidence, type ImageRecord, type RecycleBinRule } from './model';

export function covers(rule: RecycleBinRule, image: Pick<ImageRecord, 'tags'>): boolean {
  if (!rule.available) return false;
  if (rule.resourceTags.length === 0) return true;
  return rule.resourceTags.some((tag) => {
    const value = tagValue(image.tags, tag.key);
    return value !== undefined && (tag.value === undefined || tag.value === '' || value === tag.value);
  });
}

export function recycleBinStatus(image: ImageRecord, evidence: Evidence): RecycleBinStatus {
  const rules = evidence.recycleBin.get(image.region);
  if (rules === undefined) return { recoverable: 'unknown', message: 'Recycle Bin rules were not read' };
  if (!rules.ok) return { recoverable: 'unknown', message: rules.message };
  const covering = rules.value.filter((rule) => covers(rule, image));
  if (covering.length === 0) return { recoverable: false };
  return {
    recoverable: true,
    retentionDays: Math.max(...covering.map((rule) => rule.retentionDays)),
    ruleIds: covering.map((rule) => rule.ruleId),
  };
}
