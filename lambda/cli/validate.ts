// Validation of the values a person or a pipeline passes: one message naming the bad value.

export const IMAGE_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
export const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
export const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export function imageIds(values: readonly string[]): string[] {
  if (values.length === 0) throw new InvalidInputError('no image ID given: name at least one, e.g. ami-0123456789abcdef0');
  for (const value of values) {
    if (!IMAGE_ID.test(value)) throw new InvalidInputError(`invalid image ID "${value}": expected ami- and 8 or 17 hex digits`);
  }
  return [...new Set(values)];
}

export function regions(value: string): string[] {
  const list = value.split(',').map((r) => r.trim());
  for (const region of list) {
    if (!REGION.test(region)) throw new InvalidInputError(`invalid region "${region}" in --region "${value}"`);
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
    if (!/^\d{12}$/.test(account)) throw new InvalidInputError(`invalid account ID "${account}" in ${flag} "${value}": expected 12 digits`);
  }
  return [...new Set(list)];
}

export function roleName(flag: string, value: string): string {
  if (!/^[\w+=,.@-]{1,64}$/.test(value)) throw new InvalidInputError(`invalid ${flag} "${value}": expected an IAM role name`);
  return value;
}

export function tagKey(flag: string, value: string): string {
  if (!TAG_KEY.test(value)) throw new InvalidInputError(`invalid ${flag} "${value}": expected a tag key of 1 to 128 characters, not starting with aws:`);
  return value;
}

export function topicArn(value: string): string {
  if (!TOPIC_ARN.test(value)) throw new InvalidInputError(`invalid --topic-arn "${value}": expected arn:aws:sns:REGION:ACCOUNT:NAME`);
  return value;
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidInputError(`invalid ${flag} "${value}": expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}
