// The two streams a CLI run writes to: the report on stdout, errors and progress on stderr.

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}
