// `ami-guard policy`: the IAM identity policy a person or pipeline running the CLI needs in a mode,
// made from the statements the deployed roles are made from (lib/permissions.ts), so it cannot drift.

import { accountStatements, restoreStatements } from '../../lib/permissions';
import type { Mode } from '../contract';

export interface PolicyRequest {
  readonly mode: Mode;
  readonly usageReport: boolean;
  /** add what `ami-guard restore` needs */
  readonly restore?: boolean;
  /** The regions the CLI will scan; every region when absent. */
  readonly regions?: readonly string[];
}

interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: 'Allow';
    readonly Action: readonly string[];
    readonly Resource: readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  }[];
}

export function cliPolicy(request: PolicyRequest): PolicyDocument {
  const arn = { partition: 'aws', accountId: '*', regions: request.regions ?? ['*'] };
  return {
    Version: '2012-10-17',
    Statement: [...accountStatements(request.mode, arn, request.usageReport), ...(request.restore === true ? restoreStatements(arn) : [])].map((statement) => ({
      Sid: statement.sid,
      Effect: 'Allow',
      Action: statement.actions,
      Resource: statement.resources,
      ...(statement.conditions !== undefined ? { Condition: statement.conditions } : {}),
    })),
  };
}

export function renderCliPolicy(request: PolicyRequest): string {
  return `${JSON.stringify(cliPolicy(request), null, 2)}\n`;
}
