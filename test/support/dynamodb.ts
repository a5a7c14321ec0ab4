import { inject } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The endpoint of the run's DynamoDB Local (started by global-setup.ts). */
export function dynamodbEndpoint(): string {
  return inject('dynamodbEndpoint');
}

/** A client for the run's DynamoDB Local; credentials and region are placeholders DynamoDB Local accepts. */
export function localDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynamodbEndpoint(),
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
