/** ARNs of the local runtime, shaped like the service's. */

export interface ArnContext {
  readonly region: string;
  readonly accountId: string;
  readonly partition?: string;
}

export function stateMachineArn(ctx: ArnContext, name: string): string {
  return `arn:${ctx.partition ?? 'aws'}:states:${ctx.region}:${ctx.accountId}:stateMachine:${name}`;
}

export function executionArn(ctx: ArnContext, stateMachineName: string, executionName: string): string {
  return `arn:${ctx.partition ?? 'aws'}:states:${ctx.region}:${ctx.accountId}:execution:${stateMachineName}:${executionName}`;
}

export function lambdaFunctionArn(ctx: ArnContext, functionName: string): string {
  return `arn:${ctx.partition ?? 'aws'}:lambda:${ctx.region}:${ctx.accountId}:function:${functionName}`;
}

/** `arn:aws:states:r:a:stateMachine:Name` → `Name`, or undefined when it is not a state machine ARN. */
export function parseStateMachineArn(arn: string): { name: string; region: string; accountId: string } | undefined {
  const m = /^arn:[a-z-]+:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, name: m[3]! } : undefined;
}

/** `arn:aws:states:r:a:execution:Machine:Exec` → parts, or undefined. */
export function parseExecutionArn(arn: string): { stateMachineName: string; name: string } | undefined {
  const m = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:([^:]+):([^:]+)$/.exec(arn);
  return m ? { stateMachineName: m[1]!, name: m[2]! } : undefined;
}

/**
 * The function name inside a Lambda function reference as the Lambda API accepts it: a name
 * (`my-fn`), a partial ARN (`123456789012:function:my-fn`) or a full ARN, each optionally with a
 * `:qualifier` (version or alias).
 */
export function lambdaFunctionName(ref: string): { name: string; qualifier?: string } {
  const full = /^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:([^:]+)(?::([^:]+))?$/.exec(ref);
  if (full) return full[2] ? { name: full[1]!, qualifier: full[2] } : { name: full[1]! };
  const partial = /^\d{12}:function:([^:]+)(?::([^:]+))?$/.exec(ref);
  if (partial) return partial[2] ? { name: partial[1]!, qualifier: partial[2] } : { name: partial[1]! };
  const withQualifier = /^([^:]+):([^:]+)$/.exec(ref);
  if (withQualifier) return { name: withQualifier[1]!, qualifier: withQualifier[2]! };
  return { name: ref };
}

/** Execution and state machine names: 1–80 characters, none of the characters the service refuses. */
export function validName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name.length >= 1 && name.length <= 80 && !/[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/.test(name);
}
