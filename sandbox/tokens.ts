// Pagination tokens the sandbox hands out: an offset, bound to the request that asked for it
// (a token replayed with other parameters is refused, as AWS does).

import { createHash } from 'node:crypto';
import { canonicalJson } from './query';
import type { ApiError } from './state';

interface TokenBody {
  k: string;
  h: string;
  o: number;
}

function bindingHash(binding: unknown): string {
  return createHash('sha256').update(canonicalJson(binding)).digest('hex').slice(0, 16);
}

export function makeToken(kind: string, binding: unknown, offset: number): string {
  const body: TokenBody = { k: kind, h: bindingHash(binding), o: offset };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The offset a token encodes; `fail` builds the service's error for a bad token. */
export function readToken(kind: string, binding: unknown, raw: string | undefined, fail: (msg: string) => ApiError): number {
  if (raw === undefined || raw === '') return 0;
  let body: TokenBody | undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object') body = parsed as TokenBody;
  } catch {
    body = undefined;
  }
  if (!body || typeof body.o !== 'number' || body.k !== kind) throw fail(`The pagination token is not valid: ${raw}`);
  if (body.h !== bindingHash(binding)) throw fail('The pagination token was issued for a request with different parameters.');
  return body.o;
}
