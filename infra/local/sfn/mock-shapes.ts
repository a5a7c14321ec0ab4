/**
 * TestState `mock.fieldValidationMode`: a mocked result is checked against the response shape of the
 * service API the task calls, as the service checks it (STRICT, the default: required fields present
 * and present fields of the right type; PRESENT: present fields of the right type; NONE: no check).
 * Fields the API does not know are accepted in every mode. The service's message is
 * `Mock result schema validation error: Required field 'X' is missing` / `Field 'X' must be a number`
 * (measured on AWS; recorded in LocalStack's TestState suite, test_field_validation_mode*.snapshot.json).
 *
 * Shapes of the integrations this runtime runs (request-response pattern): Lambda Invoke,
 * DynamoDB GetItem/PutItem/UpdateItem/DeleteItem, Step Functions StartExecution.
 */
import { ApiError } from './errors.js';

type Shape =
  | { t: 'string' | 'number' | 'timestamp' | 'any' }
  | { t: 'list'; item: Shape }
  | { t: 'map'; value: Shape }
  | { t: 'struct'; members: Record<string, Shape>; required?: string[] };

const str: Shape = { t: 'string' };
const num: Shape = { t: 'number' };
const any: Shape = { t: 'any' };
const attributeMap: Shape = { t: 'map', value: any };
const capacity: Shape = { t: 'struct', members: { CapacityUnits: num, ReadCapacityUnits: num, WriteCapacityUnits: num } };
const consumedCapacity: Shape = {
  t: 'struct',
  members: {
    TableName: str,
    CapacityUnits: num,
    ReadCapacityUnits: num,
    WriteCapacityUnits: num,
    Table: capacity,
    LocalSecondaryIndexes: { t: 'map', value: capacity },
    GlobalSecondaryIndexes: { t: 'map', value: capacity },
  },
};
const writeOutput: Shape = {
  t: 'struct',
  members: {
    Attributes: attributeMap,
    ConsumedCapacity: consumedCapacity,
    ItemCollectionMetrics: { t: 'struct', members: { ItemCollectionKey: attributeMap, SizeEstimateRangeGB: { t: 'list', item: num } } },
  },
};

/** Response shapes by the runtime's resource kind. */
const SHAPES: Record<string, Shape> = {
  'lambda:invoke': { t: 'struct', members: { StatusCode: num, FunctionError: str, LogResult: str, Payload: any, ExecutedVersion: str } },
  'dynamodb:getItem': { t: 'struct', members: { Item: attributeMap, ConsumedCapacity: consumedCapacity } },
  'dynamodb:putItem': writeOutput,
  'dynamodb:updateItem': writeOutput,
  'dynamodb:deleteItem': writeOutput,
  'states:startExecution': {
    t: 'struct',
    members: { ExecutionArn: str, StartDate: { t: 'timestamp' } },
    required: ['ExecutionArn', 'StartDate'],
  },
};

export type FieldValidationMode = 'STRICT' | 'PRESENT' | 'NONE';

function fail(message: string): never {
  throw new ApiError('ValidationException', `Mock result schema validation error: ${message}`);
}

function check(value: unknown, shape: Shape, name: string, strict: boolean): void {
  switch (shape.t) {
    case 'any':
      return;
    case 'string':
    case 'timestamp':
      if (typeof value !== 'string') fail(`Field '${name}' must be a string`);
      return;
    case 'number':
      if (typeof value !== 'number') fail(`Field '${name}' must be a number`);
      return;
    case 'list':
      if (!Array.isArray(value)) fail(`Field '${name}' must be an array`);
      for (const item of value) check(item, shape.item, name, strict);
      return;
    case 'map':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`Field '${name}' must be an object`);
      for (const v of Object.values(value)) check(v, shape.value, name, strict);
      return;
    case 'struct': {
      const fields = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
      if (!fields && name !== '') fail(`Field '${name}' must be an object`);
      if (strict) for (const r of shape.required ?? []) if (fields?.[r] === undefined) fail(`Required field '${r}' is missing`);
      for (const [k, v] of Object.entries(fields ?? {})) {
        const member = shape.members[k];
        if (member && v !== null) check(v, member, k, strict);
      }
    }
  }
}

/** Checks a mocked task result against the response shape of `resourceKind` (nothing for other kinds). */
export function validateMockResult(result: unknown, resourceKind: string, mode: FieldValidationMode): void {
  const shape = SHAPES[resourceKind];
  if (!shape || mode === 'NONE') return;
  check(result, shape, '', mode === 'STRICT');
}
