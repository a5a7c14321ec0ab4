/**
 * Acknowledging a cdk-nag finding (cdk-nag 3 reads CDK's own `Validations.of(...).acknowledge`). Every
 * acknowledgment names one exact finding — `AwsSolutions-IAM5[Resource::*]`, not a whole rule — and
 * carries a reason specific to the resource; the template tests list them all.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

export function acknowledgeNag(scope: IConstruct, finding: string, reason: string): void {
  if (!/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/.test(finding)) throw new Error(`Not a cdk-nag AwsSolutions finding id: ${finding}`);
  if (reason.trim().length < 30) throw new Error(`The acknowledgment of ${finding} on ${scope.node.path} needs a specific reason`);
  Validations.of(scope).acknowledge({ id: finding, reason });
}

/**
 * Acknowledges `AwsSolutions-IAM5[Resource::<resource>]` for a resource ARN with a wildcard, computing the
 * finding id the same way cdk-nag does (so the acknowledgment names exactly that resource).
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resourceArn));
  acknowledgeNag(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
}
