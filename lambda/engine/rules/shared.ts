// The `shared` rule: an image others can launch may be used where DescribeImageReferences cannot see.

import type { Reason, ShareUsage } from '../../contract';
import { isAccountId } from '../../identifiers';
import { keyOf, type Evidence, type ImageRecord, type LaunchPermission } from '../model';
import type { Rule } from './rule';

/** `shared`: the image is public or others may launch it (resolved by their answers in organization mode). */
export const shared: Rule = {
  code: 'shared',
  checks: "the image's public flag and launch permissions, with the usage report's and the organization's answers",
  reasons: (image, { evidence }) => sharedReasons(image, evidence),
};

export function sharedReasons(image: ImageRecord, evidence: Evidence): Reason[] {
  const reasons: Reason[] = [];
  const seen = new Set<string>();
  const add = (reason: SharedReason): void => {
    if (seen.has(reason.sharedWith)) return;
    seen.add(reason.sharedWith);
    reasons.push(reason);
  };
  if (image.public) add({ code: 'shared', sharedWith: 'public', kind: 'public', ...usageFor('public', usageOf(image, evidence)) });

  const result = evidence.launchPermissions.get(keyOf(image));
  if (result === undefined) {
    return [...reasons, { code: 'check-failed', check: 'launch-permissions', message: 'launch permissions were not checked' }];
  }
  if (!result.ok) return [...reasons, { code: 'check-failed', check: 'launch-permissions', message: result.message }];
  const usage = usageOf(image, evidence);
  for (const permission of result.value) {
    const reason = shareOf(permission, usage);
    if (reason === undefined) {
      return [
        ...reasons,
        { code: 'check-failed', check: 'launch-permissions', message: `unrecognised launch permission ${JSON.stringify(permission)}` },
      ];
    }
    add(reason);
  }
  return resolveInOrganization(image, reasons, evidence);
}

/**
 * Organization mode: a share whose consumer accounts were all asked is no reason when none uses
 * the image, names the users when some do, and is a failed check when an account could not answer.
 * Shares it could not check (public, outside the organization) stay as they are.
 */
function resolveInOrganization(image: ImageRecord, reasons: Reason[], evidence: Evidence): Reason[] {
  const answers = evidence.crossAccount?.get(keyOf(image));
  if (answers === undefined) return reasons;
  return reasons.flatMap((reason): Reason[] => {
    if (reason.code !== 'shared') return [reason];
    const answer = answers.get(reason.sharedWith);
    if (answer === undefined) return [reason];
    if (!answer.ok) return [{ code: 'check-failed', check: 'cross-account', message: `${reason.sharedWith}: ${answer.message}` }];
    if (answer.value.length === 0) return [];
    return [{ ...reason, usage: { status: 'ready', users: answer.value } }];
  });
}

type SharedReason = Extract<Reason, { code: 'shared' }>;

/** The usage report's answer for this image, when one was asked for. */
function usageOf(image: ImageRecord, evidence: Evidence): ShareUsage | undefined {
  const result = evidence.usage.get(keyOf(image));
  if (result === undefined) return undefined;
  return result.ok ? result.value : { status: 'failed', message: result.message };
}

/** An account share carries that account's use; the other kinds carry every account's. */
function usageFor(sharedWith: string, usage: ShareUsage | undefined): { usage?: ShareUsage } {
  if (usage === undefined) return {};
  if (usage.status !== 'ready' || !isAccountId(sharedWith)) return { usage };
  return { usage: { ...usage, users: (usage.users ?? []).filter((u) => u.accountId === sharedWith) } };
}

/** Whom one launch permission shares the image with; undefined for a permission this rule does not recognise. */
export function shareTarget(permission: LaunchPermission): Pick<SharedReason, 'sharedWith' | 'kind'> | undefined {
  if (permission.group === 'all') return { sharedWith: 'public', kind: 'public' };
  if (permission.userId) return { sharedWith: permission.userId, kind: 'account' };
  if (permission.organizationArn) return { sharedWith: permission.organizationArn, kind: 'organization' };
  if (permission.organizationalUnitArn) return { sharedWith: permission.organizationalUnitArn, kind: 'organizational-unit' };
  return undefined;
}

function shareOf(permission: LaunchPermission, usage: ShareUsage | undefined): SharedReason | undefined {
  const share = shareTarget(permission);
  return share === undefined ? undefined : { code: 'shared', ...share, ...usageFor(share.sharedWith, usage) };
}
