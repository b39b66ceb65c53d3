// How every read of the gateway takes AWS's answers: a list the API must return is required (an
// answer without it is an error, never an empty result), every member is checked before it is
// used, and a paginated read stops with an error on a repeated token or an absurd page count
// (a read that never ends produces no report at all).

import { FORMS, isForm, type FormName } from '../identifiers';
import { MalformedAnswerError } from './errors';

/** Far beyond any real account (10,000 pages of up to 1,000 items); a read this long is looping. */
export const MAX_PAGES = 10_000;

export interface ListSpec<Page, Member> {
  /** the element of the answer that carries the list, as AWS names it (for the error) */
  readonly listName: string;
  readonly list: (page: Page) => readonly Member[] | undefined;
  /** the page's continuation token */
  readonly token: (page: Page) => string | undefined;
  readonly maxPages?: number;
}

/**
 * Every member of every page of a paginated read (an SDK `paginateX`), in order. Throws a
 * MalformedAnswerError when a page lacks its list, when a continuation token comes back a second
 * time, or past the page limit; leaving the loop early stops the paginator.
 */
export async function* allMembers<Page, Member>(
  action: string,
  pages: AsyncIterable<Page>,
  spec: ListSpec<Page, Member>,
): AsyncGenerator<Member, void, undefined> {
  const maxPages = spec.maxPages ?? MAX_PAGES;
  const tokens = new Set<string>();
  let count = 0;
  for await (const page of pages) {
    count += 1;
    if (count > maxPages) throw new MalformedAnswerError(action, `more than ${maxPages} pages: the read was stopped`);
    yield* requiredList(action, spec.listName, spec.list(page));
    const token = spec.token(page);
    if (token === undefined || token === '') continue;
    if (tokens.has(token)) throw new MalformedAnswerError(action, `page ${count} repeats an earlier continuation token: the read was stopped`);
    tokens.add(token);
  }
}

/** Every member of a paginated read, collected. */
export async function collect<Page, Member, Item>(
  action: string,
  pages: AsyncIterable<Page>,
  spec: ListSpec<Page, Member>,
  convert: (member: Member) => Item,
): Promise<Item[]> {
  const items: Item[] = [];
  for await (const member of allMembers(action, pages, spec)) items.push(convert(member));
  return items;
}

/** The list an answer must carry; its absence (or anything not a list) is an error. */
export function requiredList<Member>(action: string, listName: string, list: readonly Member[] | undefined): readonly Member[] {
  if (!Array.isArray(list)) throw new MalformedAnswerError(action, `no ${listName}`);
  return list;
}

/** A field an answer's member must carry, non-empty. */
export function required<T>(action: string, value: T | undefined | null | '', what: string): T {
  if (value === undefined || value === null || value === '') throw new MalformedAnswerError(action, `${what} is missing`);
  return value;
}

/** An identifier read from AWS, exactly in its form; anything else is an error naming it. */
export function identifier(action: string, form: FormName, value: unknown, what: string): string {
  if (!isForm(form, value)) {
    throw new MalformedAnswerError(action, `${what} ${value === undefined ? 'is missing' : `"${String(value)}" is not ${FORMS[form].expected}`}`);
  }
  return value;
}

/** An optional identifier: absent is fine, present must be exact. */
export function optionalIdentifier(action: string, form: FormName, value: unknown, what: string): string | undefined {
  return value === undefined ? undefined : identifier(action, form, value, what);
}
