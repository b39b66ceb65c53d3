// What the state machine tests read from a synthesized stack: its state machine's definition and one
// function's environment, with the template's references replaced by the sandbox's bucket, topic and
// a function ARN, and the path of the function's bundle in the cloud assembly. Also makes
// aws-local-stepfunctions runnable on Node 20 (it calls Promise.withResolvers, Node 22+).

import * as path from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

const promiseStatics = Promise as unknown as { withResolvers?: unknown };
if (typeof promiseStatics.withResolvers !== 'function') {
  promiseStatics.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

type Json = unknown;
export type StateDefinition = Record<string, Json> & { States: Record<string, Record<string, Json>> };
type Resource = { Type: string; Properties: Record<string, Json> };

export interface SynthesizedMachine {
  readonly definition: StateDefinition;
  readonly environment: Record<string, string>;
  readonly bundle: string;
}

export function synthesizedMachine(
  app: App,
  stack: Stack,
  target: { readonly bucket: string; readonly topicArn: string; readonly functionArn: string },
  isFunction: (resource: Resource) => boolean = () => true,
): SynthesizedMachine {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const typeOf = (id: string) => resources[id]?.Type;
  const resolve = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const o = value as Record<string, Json>;
    if ('Ref' in o || 'Fn::GetAtt' in o) {
      const id = 'Ref' in o ? (o.Ref as string) : (o['Fn::GetAtt'] as string[])[0];
      if (typeOf(id) === 'AWS::S3::Bucket') return target.bucket;
      if (typeOf(id) === 'AWS::SNS::Topic') return target.topicArn;
      if (typeOf(id) === 'AWS::Lambda::Function') return target.functionArn;
      if (id === 'AWS::Partition') return 'aws';
      throw new Error(`unexpected reference ${JSON.stringify(o)}`);
    }
    if ('Fn::Join' in o) {
      const [separator, parts] = o['Fn::Join'] as [string, Json[]];
      return parts.map((part) => resolve(part) as string).join(separator);
    }
    return Object.fromEntries(Object.entries(o).map(([key, inner]) => [key, resolve(inner)]));
  };
  const [machine] = Object.values(resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');
  const [fn] = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::Function' && isFunction(resource));
  const code = fn.Properties.Code as { S3Key: string };
  const assembly = app.synth();
  return {
    definition: JSON.parse(resolve(machine.Properties.DefinitionString) as string) as StateDefinition,
    environment: resolve((fn.Properties.Environment as { Variables: Json }).Variables) as Record<string, string>,
    bundle: path.join(assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.js'),
  };
}
