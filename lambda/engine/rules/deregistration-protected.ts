// The `deregistration-protected` rule. Anything but exactly `disabled` is protected (fail closed):
// the values during a cooldown are undocumented.

import type { Reason } from '../../contract';
import { markOf } from '../marks';
import { keyOf, PROTECTED_BY_US, TAGS, type Evidence, type ImageRecord } from '../model';
import type { Rule } from './rule';

/** `deregistration-protected`: the image's deregistration protection is on (and ami-guard did not turn it on). */
export const deregistrationProtected: Rule = {
  code: 'deregistration-protected',
  checks: "the image's deregistration protection, from DescribeImages or its attribute",
  reasons: (image, { evidence }) => protectionReasons(image, evidence),
};

export const isProtected = (value: string): boolean => value !== 'disabled';

/** The protection value: DescribeImages' own, or the attribute read where DescribeImages gave none. */
export function protectionOf(image: ImageRecord, evidence: Evidence): { value: string } | { message: string } {
  if (image.deregistrationProtection !== undefined) return { value: image.deregistrationProtection };
  const read = evidence.protection.get(keyOf(image));
  if (read === undefined) return { message: 'deregistration protection was not checked' };
  return read.ok ? { value: read.value } : { message: read.message };
}

/**
 * Protection ami-guard enabled itself (its marker, written on this very image) is ami-guard's own
 * record of an earlier verdict, not a reason. A marker copied from another image is not.
 */
export const protectedByAmiGuard = (image: Pick<ImageRecord, 'imageId' | 'tags'>): boolean => markOf(image, TAGS.protectedBy) === PROTECTED_BY_US;

export function protectionReasons(image: ImageRecord, evidence: Evidence): Reason[] {
  const protection = protectionOf(image, evidence);
  if ('message' in protection) {
    return [{ code: 'check-failed', check: 'deregistration-protection', message: protection.message }];
  }
  if (!isProtected(protection.value)) return [];
  if (protectedByAmiGuard(image) && protection.value === 'enabled-without-cooldown') return [];
  return [{ code: 'deregistration-protected', value: protection.value }];
}
