// What the two Lambda adapters share, so neither imports the other: the logger, the invalid-event
// error and the words for a zod issue, the deployed environment, and when an invocation fails.
import { Logger } from '@aws-lambda-powertools/logger';
import type * as z from 'zod/mini';
import type { Report, Trigger } from './contract';
import { destinationFromEnvironment, type Destination } from './deliver';
import { runOutcome } from './report/outcome';

/** The function's one logger. */
export const logger = new Logger({ serviceName: 'ami-guard' });

/** An event the function does not accept: thrown before any AWS call, naming the bad field. */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** A zod issue's path as a field name: `imageIds[2]`, `gathered.Error`. */
export function fieldOf(issue: z.core.$ZodIssue): string {
  return issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace('.[', '[');
}

/** The event's value at a zod issue's path; undefined when it has none. */
export function valueAt(event: unknown, issue: z.core.$ZodIssue): unknown {
  let value: unknown = event;
  for (const part of issue.path) {
    value = typeof value === 'object' && value !== null && Object.hasOwn(value, part) ? (value as Record<PropertyKey, unknown>)[part] : undefined;
  }
  return value;
}

export interface Environment<S extends { readonly regions: readonly string[] }> extends Destination {
  readonly settings: S;
}

/** The deployed settings and destination; the settings' regions default to the function's own. */
export function readEnvironment<S extends { readonly regions: readonly string[] }>(
  environment: NodeJS.ProcessEnv,
  settingsFrom: (environment: NodeJS.ProcessEnv) => S,
): Environment<S> {
  const settings = settingsFrom(environment);
  const destination = destinationFromEnvironment(environment);
  return { ...destination, settings: settings.regions.length > 0 ? settings : { ...settings, regions: [destination.region] } };
}

/** Why the invocation must fail after storing and notifying, or undefined when it returns the report. */
export function invocationFailure(trigger: Trigger, report: Report, stored: boolean, notified: boolean): string | undefined {
  if (!stored) return 'the report could not be stored';
  if (!notified) return 'the notification was not published';
  if (report.errors.some((error) => error.check === 'run')) return 'the run reached its time limit';
  if (trigger === 'schedule' && runOutcome(report).failed) return 'the scheduled run has errors or unverified images';
  return undefined;
}
