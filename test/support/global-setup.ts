/**
 * Once per test run: one in-memory DynamoDB Local for every test file (each file makes its own tables).
 * Stopped at the end of the run; the watchdog stops it even if the runner is killed.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb-local.js';

let ddb: DynamoDbLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  ddb = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = ddb.endpoint;
  project.provide('dynamodbEndpoint', ddb.endpoint);
}

export async function teardown(): Promise<void> {
  await ddb?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}
