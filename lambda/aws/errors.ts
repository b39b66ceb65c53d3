// How a failed AWS call is described in a `check-failed` reason or an error entry.

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    const message = error.message || '(no message)';
    return status !== undefined ? `${name}${message} (HTTP ${status})` : `${name}${message}`;
  }
  return String(error);
}

export const errorName = (error: unknown): string | undefined => (error instanceof Error ? error.name : undefined);

/** An AWS answer that parsed but does not hold what the API promises. */
export class MalformedAnswerError extends Error {
  constructor(action: string, detail: string) {
    super(`malformed ${action} answer: ${detail}`);
    this.name = 'MalformedAnswer';
  }
}
