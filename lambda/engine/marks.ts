// ami-guard's marks (its `ami-guard:*` tags) are bound to the image they were written on: every
// value ends in `/<image ID>` (`ami-guard:protected-by` = `ami-guard/ami-0123...`,
// `ami-guard:safe-since` = `2026-11-03T00:00:00.000Z/ami-0123...`). CopyImage with CopyImageTags
// and CreateImage with tag specifications copy tags onto another image; a mark there names the
// image it was written on, not the copy, and counts for nothing. So does a value without a binding
// (written by a release before marks were bound): a protection it describes is a person's, a grace
// period it dates starts again.

import { TAGS, type ImageRecord } from './model';

type Tagged = Pick<ImageRecord, 'imageId' | 'tags'>;

const suffixOf = (imageId: string): string => `/${imageId}`;

/** The tag value that records `value` as ami-guard's mark on this image. */
export const bindMark = (imageId: string, value: string): string => `${value}${suffixOf(imageId)}`;

/** How many characters the binding adds to a value. */
export const bindingLength = (imageId: string): number => suffixOf(imageId).length;

/** The value of ami-guard's mark `key` when it was written on this image; undefined when absent, copied or unbound. */
export function markOf(image: Tagged, key: string): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(image.tags, key)) return undefined;
  const raw = image.tags[key];
  const suffix = suffixOf(image.imageId);
  return raw.endsWith(suffix) ? raw.slice(0, -suffix.length) : undefined;
}

/** Whether the image's tag `key` is a mark bound to another image (copied onto this one). */
export function markOfAnother(image: Tagged, key: string): boolean {
  if (!carries(image, key)) return false;
  const bound = /\/(ami-[0-9a-f]+)$/.exec(image.tags[key]);
  return bound !== null && bound[1] !== image.imageId;
}

/** Whether the image carries the tag `key` at all, whatever its value (a mark of its own, copied or unbound). */
export const carries = (image: Tagged, key: string): boolean => Object.prototype.hasOwnProperty.call(image.tags, key);

/** The keys of ami-guard's marks: a change to them is ami-guard's own doing, not a change to the image. */
export const MARK_KEYS: ReadonlySet<string> = new Set(Object.values(TAGS));
