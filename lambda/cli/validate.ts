// Validation of the values a person or a pipeline passes: one message naming the bad value.

import { isForm } from '../identifiers';

export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export function imageIds(values: readonly string[]): string[] {
  if (values.length === 0) throw new InvalidInputError('no image ID given: name at least one, e.g. ami-0123456789abcdef0');
  for (const value of values) {
    if (!isForm('imageId', value)) throw new InvalidInputError(`invalid image ID "${value}": expected ami- and 8 or 17 hex digits`);
  }
  return [...new Set(values)];
}

export function regions(value: string): string[] {
  const list = value.split(',').map((r) => r.trim());
  for (const region of list) {
    if (!isForm('region', region)) throw new InvalidInputError(`invalid region "${region}" in --region "${value}"`);
  }
  return [...new Set(list)];
}

export function wholeNumber(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidInputError(`invalid ${flag} "${value}": expected a whole number >= 0`);
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new InvalidInputError(`invalid ${flag} "${value}": too large`);
  return number;
}

export function price(flag: string, value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) throw new InvalidInputError(`invalid ${flag} "${value}": expected a number >= 0`);
  return number;
}

export function share(flag: string, value: string): number {
  const share = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(share > 0 && share <= 1)) throw new InvalidInputError(`invalid ${flag} "${value}": a number greater than 0 and at most 1`);
  return share;
}

export function accountIds(flag: string, value: string): string[] {
  const list = value.split(',').map((a) => a.trim());
  for (const account of list) {
    if (!isForm('accountId', account)) throw new InvalidInputError(`invalid account ID "${account}" in ${flag} "${value}": expected 12 digits`);
  }
  return [...new Set(list)];
}

export function roleName(flag: string, value: string): string {
  if (!isForm('roleName', value)) throw new InvalidInputError(`invalid ${flag} "${value}": expected an IAM role name`);
  return value;
}

export function tagKey(flag: string, value: string): string {
  if (!isForm('tagKey', value)) throw new InvalidInputError(`invalid ${flag} "${value}": expected a tag key of 1 to 128 characters, not starting with aws:`);
  return value;
}

export function topicArn(value: string): string {
  if (!isForm('topicArn', value)) throw new InvalidInputError(`invalid --topic-arn "${value}": expected arn:aws:sns:REGION:ACCOUNT:NAME`);
  return value;
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidInputError(`invalid ${flag} "${value}": expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}
