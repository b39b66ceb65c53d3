// Every stack configuration the README documents synthesizes with cdk.json's context, as the CDK
// CLI runs it, and passes cdk-nag's AwsSolutions checks with nothing unacknowledged.

import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { cdkJsonContext, DOCUMENTED, type DocumentedName, synthesizeDocumented } from './documented';

describe('the README configurations, with cdk.json context', () => {
  it('loads cdk.json context, partition literals included', () => {
    expect(cdkJsonContext()['@aws-cdk/core:enablePartitionLiterals']).toBe(true);
    expect(synthesizeDocumented('defaults').app.node.tryGetContext('@aws-cdk/core:enablePartitionLiterals')).toBe(true);
  });

  it.each(Object.keys(DOCUMENTED) as DocumentedName[])('%s: synthesizes with no unacknowledged cdk-nag finding', (name) => {
    const { app, single, organization } = synthesizeDocumented(name);
    const findings = new AwsSolutionsChecks().validateScope(app).violations.map((violation) => `${violation.ruleName}: ${JSON.stringify(violation)}`);
    expect(findings).toEqual([]);
    for (const stack of [single, ...(organization !== undefined ? [organization] : [])]) {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    }
    expect(organization !== undefined).toBe('organization' in DOCUMENTED[name]);
  });
});
