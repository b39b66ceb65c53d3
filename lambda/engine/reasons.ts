// The words for a reason, one line: the same in tags, the text and Markdown reports and notifications.

import type { Reason } from '../contract';

export function reasonText(reason: Reason): string {
  switch (reason.code) {
    case 'referenced':
      return `referenced by ${reason.resourceType} ${reason.arn}`;
    case 'ancestor-of-in-use':
      return `ancestor of in-use ${reason.imageId} (${reason.region})`;
    case 'shared': {
      const base = reason.kind === 'public' ? 'shared publicly' : `shared with ${reason.kind} ${reason.sharedWith}`;
      const usage = reason.usage;
      if (usage === undefined) return base;
      if (usage.status !== 'ready') return `${base} (usage report ${usage.status}${usage.message ? `: ${usage.message}` : ''})`;
      const users = (usage.users ?? []).map((u) => `${u.accountId} ${u.resourceType} x${u.usageCount}`);
      return `${base} (used by: ${users.length > 0 ? users.join(', ') : 'no account'})`;
    }
    case 'deregistration-protected':
      return `deregistration protection ${reason.value}`;
    case 'check-failed':
      return `${reason.check} check failed: ${reason.message}`;
  }
}
