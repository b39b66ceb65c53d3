// The `shared` rule: an image others can launch may be used where DescribeImageReferences cannot see.

import type { Reason } from '../contract';
import { keyOf, type Evidence, type ImageRecord, type LaunchPermission } from './model';

export function sharedReasons(image: ImageRecord, evidence: Evidence): Reason[] {
  const reasons: Reason[] = [];
  const seen = new Set<string>();
  const add = (reason: Extract<Reason, { code: 'shared' }>): void => {
    if (seen.has(reason.sharedWith)) return;
    seen.add(reason.sharedWith);
    reasons.push(reason);
  };
  if (image.public) add({ code: 'shared', sharedWith: 'public', kind: 'public' });

  const result = evidence.launchPermissions.get(keyOf(image));
  if (result === undefined) {
    return [...reasons, { code: 'check-failed', check: 'launch-permissions', message: 'launch permissions were not checked' }];
  }
  if (!result.ok) return [...reasons, { code: 'check-failed', check: 'launch-permissions', message: result.message }];
  for (const permission of result.value) {
    const reason = shareOf(permission);
    if (reason === undefined) {
      return [
        ...reasons,
        { code: 'check-failed', check: 'launch-permissions', message: `unrecognised launch permission ${JSON.stringify(permission)}` },
      ];
    }
    add(reason);
  }
  return reasons;
}

function shareOf(permission: LaunchPermission): Extract<Reason, { code: 'shared' }> | undefined {
  if (permission.group === 'all') return { code: 'shared', sharedWith: 'public', kind: 'public' };
  if (permission.userId) return { code: 'shared', sharedWith: permission.userId, kind: 'account' };
  if (permission.organizationArn) return { code: 'shared', sharedWith: permission.organizationArn, kind: 'organization' };
  if (permission.organizationalUnitArn) {
    return { code: 'shared', sharedWith: permission.organizationalUnitArn, kind: 'organizational-unit' };
  }
  return undefined;
}
