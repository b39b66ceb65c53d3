import { Template } from 'aws-cdk-lib/assertions';
import { METRIC_DESCRIPTIONS, type MetricName } from '../../lambda/metrics';
import { synthesize, synthesizeMode } from './fixtures';

/** The dashboard body with its tokens (the function name, the region) left as they are. */
function dashboardBody(template: Template): string {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  expect(Object.keys(dashboards)).toHaveLength(1);
  const body = (Object.values(dashboards)[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const join = body as { 'Fn::Join': [string, unknown[]] };
  return join['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
}

describe('the AmiGuard dashboard', () => {
  it('graphs every metric the function emits, under its namespace, service and deployed mode', () => {
    const body = JSON.parse(dashboardBody(synthesize().template)) as { widgets: { properties: { title?: string; metrics?: unknown[][] } }[] };
    const titles = body.widgets.map((widget) => widget.properties.title).filter(Boolean);
    expect(titles).toEqual(['Last run', 'Verdicts per run', 'Snapshots (GiB)', 'Changed by the runs', 'Failed checks and failed invocations', 'Run duration']);
    const graphed = new Set(
      body.widgets.flatMap((widget) => (widget.properties.metrics ?? []).filter((line) => line[0] === 'AmiGuard').map((line) => line[1] as string)),
    );
    for (const name of Object.keys(METRIC_DESCRIPTIONS) as MetricName[]) expect(graphed).toContain(name);
    const safe = body.widgets.flatMap((widget) => widget.properties.metrics ?? []).find((line) => line[1] === 'Safe');
    expect(safe?.slice(0, 6)).toEqual(['AmiGuard', 'Safe', 'mode', 'report', 'service', 'ami-guard']);
    // the function's own errors and duration beside the run metrics
    expect(dashboardBody(synthesize().template)).toMatch(/"AWS\/Lambda","Errors","FunctionName","TOKEN"/);
  });

  it('follows the deployed mode', () => {
    expect(dashboardBody(synthesizeMode('cleanup').template)).toContain('"AmiGuard","Deregistered","mode","cleanup","service","ami-guard"');
  });
});
