// Which owned images are deregistration candidates in a scan, under the deployment's PolicySettings.

import type { PolicySettings } from '../contract';
import { hasTag, tagValue, type ImageRecord } from './model';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A name token that reads as a version, build number or date: v12, 2024, 05, 20240501T1200Z, rc1. */
const VERSION_TOKEN = /^(v?\d+[a-z]?|\d{8}(t\d{4,6}z?)?|rc\d*|build\d*)$/i;
const SEPARATOR = /([-_. ]+)/;

/**
 * The family of an image: the value of `familyTag` when set and present, otherwise the name with
 * its trailing version/date tokens stripped (`web-server-2024-05-01` -> `web-server`,
 * `base-al2023-v12` -> `base-al2023`). A name made only of such tokens is its own family.
 */
export function familyOf(image: Pick<ImageRecord, 'name' | 'tags'>, familyTag?: string): string {
  if (familyTag !== undefined) {
    const tagged = tagValue(image.tags, familyTag);
    if (tagged !== undefined && tagged !== '') return `tag:${tagged}`;
  }
  return familyFromName(image.name);
}

export function familyFromName(name: string): string {
  const parts = name.split(SEPARATOR);
  // parts alternates token, separator, token, ...; drop trailing version tokens with their separators
  let end = parts.length;
  while (end > 0) {
    const token = parts[end - 1];
    if (token === '' || SEPARATOR.test(token)) {
      end -= 1;
      continue;
    }
    if (!VERSION_TOKEN.test(token)) break;
    end -= 1;
  }
  const family = parts.slice(0, end).join('');
  return family === '' ? name : family;
}

export interface Selection {
  readonly candidates: readonly ImageRecord[];
  /** images the policy could not judge (for example an unreadable creation date): never candidates */
  readonly unjudged: readonly { readonly image: ImageRecord; readonly message: string }[];
}

/** The candidates of a scan: old enough, unused long enough, not among the newest of their family, not excluded. */
export function selectCandidates(images: readonly ImageRecord[], policy: PolicySettings, now: Date): Selection {
  const unjudged: { image: ImageRecord; message: string }[] = [];
  const created = new Map<ImageRecord, number>();
  for (const image of images) {
    const time = Date.parse(image.creationDate);
    if (Number.isNaN(time)) unjudged.push({ image, message: `unreadable creationDate "${image.creationDate}"` });
    else created.set(image, time);
  }

  const newestOfFamily = new Set<ImageRecord>();
  if (policy.keepLatest > 0) {
    const families = new Map<string, ImageRecord[]>();
    for (const image of created.keys()) {
      const key = `${image.region}\u0000${familyOf(image, policy.familyTag)}`;
      const members = families.get(key) ?? [];
      members.push(image);
      families.set(key, members);
    }
    for (const members of families.values()) {
      members.sort((a, b) => (created.get(b) ?? 0) - (created.get(a) ?? 0));
      for (const image of members.slice(0, policy.keepLatest)) newestOfFamily.add(image);
    }
  }

  const candidates: ImageRecord[] = [];
  for (const [image, createdAt] of created) {
    if (image.state === 'pending') continue;
    if (hasTag(image.tags, policy.excludeTag)) continue;
    if (now.getTime() - createdAt < policy.minAgeDays * DAY_MS) continue;
    if (image.lastLaunchedTime !== undefined) {
      const launched = Date.parse(image.lastLaunchedTime);
      if (Number.isNaN(launched)) {
        unjudged.push({ image, message: `unreadable lastLaunchedTime "${image.lastLaunchedTime}"` });
        continue;
      }
      if (now.getTime() - launched < policy.unusedDays * DAY_MS) continue;
    }
    if (newestOfFamily.has(image)) continue;
    candidates.push(image);
  }
  return { candidates, unjudged };
}

/** Why a selected image is a candidate, in the terms of the policy it passed. */
export function candidacyOf(image: ImageRecord, policy: PolicySettings, now: Date): string {
  const daysSince = (time: string): number => Math.floor((now.getTime() - Date.parse(time)) / DAY_MS);
  const parts = [`created ${daysSince(image.creationDate)} days ago (at least ${policy.minAgeDays})`];
  parts.push(
    image.lastLaunchedTime === undefined
      ? 'no launch on record'
      : `last launched ${daysSince(image.lastLaunchedTime)} days ago (at least ${policy.unusedDays})`,
  );
  if (policy.keepLatest > 0) parts.push(`not among the newest ${policy.keepLatest} of its family`);
  parts.push(`no ${policy.excludeTag} tag`);
  return parts.join(', ');
}
