/**
 * Tables for store tests and benchmarks, created from the CDK definition: a stack holding only
 * `MilestoneTable` is synthesized (no assets, so no bundling), and its template is turned into a
 * CreateTable by infra/local/tables.ts, exactly as the local runtime does with the full app.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { MilestoneTable } from '../../infra/aws/constructs/milestone-table.js';
import { createTablesFromTemplate, type CfnTemplate } from '../../infra/local/tables.js';

let template: CfnTemplate | undefined;

/** The synthesized template of a stack with just the milestone table (synthesized once per process). */
export function milestoneTableTemplate(): CfnTemplate {
  if (template) return template;
  const outdir = mkdtempSync(path.join(tmpdir(), 'milestone-table-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'MilestoneTableOnly');
    new MilestoneTable(stack, 'Milestones', { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY });
    template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    return template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Creates a uniquely named milestone table on the DynamoDB Local behind `client`. */
export async function createMilestoneTable(client: DynamoDBClient, label = 'milestones'): Promise<string> {
  const tableName = `${label}-${randomBytes(4).toString('hex')}`;
  const created = await createTablesFromTemplate(client, milestoneTableTemplate(), { tableName: () => tableName });
  if (created.length !== 1) throw new Error(`expected one table in the template, found ${created.length}`);
  return tableName;
}

/** For a test file: a fresh table on the run's DynamoDB Local. */
export async function createTestTable(label?: string): Promise<{ client: DynamoDBClient; tableName: string }> {
  // Imported here so that scripts (benchmarks) can use the functions above without the test runner.
  const { localDynamoClient } = await import('./dynamodb.js');
  const client = localDynamoClient();
  return { client, tableName: await createMilestoneTable(client, label) };
}
