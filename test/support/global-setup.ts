/**
 * Once per test run: one in-memory DynamoDB Local and one user-directory emulator for every test file
 * (each file makes its own tables and its own user pool). Stopped at the end of the run; the watchdog
 * stops them even if the runner is killed.
 */
import type { TestProject } from 'vitest/node';
import { startCognitoLocal, type CognitoLocal } from '../../infra/local/cognito-local.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb-local.js';

let ddb: DynamoDbLocal | undefined;
let cognito: CognitoLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  [ddb, cognito] = await Promise.all([startDynamoDbLocal(), startCognitoLocal()]);
  process.env.DYNAMODB_ENDPOINT = ddb.endpoint;
  project.provide('dynamodbEndpoint', ddb.endpoint);
  project.provide('cognitoEndpoint', cognito.endpoint);
}

export async function teardown(): Promise<void> {
  await Promise.all([ddb?.stop(), cognito?.stop()]);
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    cognitoEndpoint: string;
  }
}
