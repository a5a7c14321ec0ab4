/**
 * Synthesizes the CDK app once for a test file: bundling is skipped (the template is what is checked;
 * `npm run synth` bundles for real), cdk-nag's AwsSolutions pack is run over the construct tree, and
 * small helpers read the template.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createMilestoneApp, type MilestoneApp } from '../../infra/aws/milestone-app.js';
import type { MilestoneStack } from '../../infra/aws/stacks/milestone-stack.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

export interface Synthesized extends MilestoneApp {
  template: Template;
  /** Resources of the template by logical id. */
  resources: Record<string, CfnResource>;
  /** cdk-nag AwsSolutions findings that are not acknowledged. */
  nag: PolicyValidationPluginReport;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}

export function synthesize(context: Record<string, unknown> = {}, extend?: (stack: MilestoneStack) => void): Synthesized {
  const built = createMilestoneApp({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  extend?.(built.stack);
  const nag = new AwsSolutionsChecks().validateScope(built.app);
  const template = Template.fromStack(built.stack);
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  return { ...built, template, resources, nag };
}

/** One line per unacknowledged finding, for a readable failure. */
export function nagFindings(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId ?? '?'}: ${v.description}`),
  );
}

/** Every `Validations.of(x).acknowledge(...)` in the tree: finding id, reason and where. */
export function acknowledgments(root: IConstruct): { id: string; reason: string; path: string }[] {
  const found: { id: string; reason: string; path: string }[] = [];
  for (const node of root.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ id: id.replace(/^annotation::/i, ''), reason, path: node.node.path });
      }
    }
  }
  return found;
}

export function ofType(resources: Record<string, CfnResource>, type: string): [string, CfnResource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

export function only(resources: Record<string, CfnResource>, type: string): [string, CfnResource] {
  const found = ofType(resources, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0]!;
}

/** The logical id of the function whose `cos:entry` is `entry`. */
export function functionByEntry(resources: Record<string, CfnResource>, entry: string): [string, CfnResource] {
  const found = ofType(resources, 'AWS::Lambda::Function').filter(([, r]) => r.Metadata?.['cos:entry'] === entry);
  if (found.length !== 1) throw new Error(`expected one function with cos:entry ${entry}, found ${found.length}`);
  return found[0]!;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}

/** Every statement of every policy attached to the role of a function. */
export function statementsOfFunction(resources: Record<string, CfnResource>, functionId: string): Statement[] {
  const role = resources[functionId]?.Properties?.Role?.['Fn::GetAtt']?.[0] as string | undefined;
  if (!role) throw new Error(`function ${functionId} has no role of this stack`);
  if (resources[role]?.Properties?.ManagedPolicyArns) throw new Error(`role ${role} has managed policies`);
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties?.Roles as unknown[]).some((r) => (r as { Ref?: string }).Ref === role))
    .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as Statement[]);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** True when `entry` (repo-relative) exists and exports `name` (a function or a const). */
export function exportsHandler(entry: string, name: string): boolean {
  const file = path.join(REPO_ROOT, entry);
  if (!existsSync(file)) return false;
  return new RegExp(`export\\s+(async\\s+)?(function|const|let)\\s+${name}\\b`).test(readFileSync(file, 'utf8'));
}

/** `{"Ref": id}` / `{"Fn::GetAtt": [id, attr]}` */
export const ref = (id: string) => ({ Ref: id });
export const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
