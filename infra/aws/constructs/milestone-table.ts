/**
 * The one DynamoDB table of the system (DESIGN.md §6). Names of keys, indexes and the TTL attribute come
 * from shared/store/keys.ts, the layout the store is written against; the local runtime and the tests
 * create their tables from the synthesized template of this construct.
 *
 * Indexes (all sparse: an item is in an index only while it carries that index's key attributes):
 * - GSI1 "due": open milestones by deadline (reminders, overdue) and undelivered notifications, each
 *   spread over DUE_SHARDS partition keys so a bulk action or the morning reminder wave does not
 *   throttle one index partition.
 * - GSI2 "party": a contractor's open assignments by deadline; a recipient's notifications by time.
 * - GSI3 "schools": every school by district then id (a district is a key prefix).
 *
 * Projection ALL on all three: every reader needs the whole item (the milestone state with its version
 * to act on it, the notification to deliver or show it, the school profile to list it). KEYS_ONLY would
 * turn each page into a Query plus a BatchGetItem, and the items are small (< 1 KB but for the evidence),
 * so the extra index storage and write size cost less than the second read.
 *
 * The stream (NEW_IMAGE) is for the outbox dispatcher: `outboxFilter()` selects newly inserted
 * notifications, so the dispatcher is invoked for nothing else; and for the workflow-signal dispatcher
 * (`signalFilters()`).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableV2,
  type GlobalSecondaryIndexPropsV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENTITY, Entity, INDEX, PK, SIGNAL_PREFIX, SK, TTL_ATTRIBUTE } from '../../../shared/store/keys.js';

export interface MilestoneTableProps {
  /** Protects the table from deletion (on in production). */
  readonly deletionProtection: boolean;
  /** What happens to the table when the stack is deleted or the table replaced. Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
  /** Physical name; by default CloudFormation generates one. */
  readonly tableName?: string;
}

export class MilestoneTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: MilestoneTableProps) {
    super(scope, id);
    const gsi = (index: { name: string; pk: string; sk: string }): GlobalSecondaryIndexPropsV2 => ({
      indexName: index.name,
      partitionKey: { name: index.pk, type: AttributeType.STRING },
      sortKey: { name: index.sk, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.table = new TableV2(this, 'Table', {
      ...(props.tableName ? { tableName: props.tableName } : {}),
      partitionKey: { name: PK, type: AttributeType.STRING },
      sortKey: { name: SK, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      dynamoStream: StreamViewType.NEW_IMAGE,
      globalSecondaryIndexes: [gsi(INDEX.due), gsi(INDEX.party), gsi(INDEX.schools)],
    });
  }

  /**
   * Event-source filters for the workflow-signal dispatcher: signals written by a commit, new or
   * replacing an older one; and their removals, which tell the dispatcher that the records of the
   * milestone before them are delivered already (by the command that wrote them, a bulk job, the sweep).
   */
  static signalFilters(): Record<string, unknown>[] {
    return [
      FilterCriteria.filter({
        eventName: FilterRule.or('INSERT', 'MODIFY'),
        dynamodb: { NewImage: { [ENTITY]: { S: FilterRule.isEqual(Entity.signal) } } },
      }),
      FilterCriteria.filter({
        eventName: FilterRule.isEqual('REMOVE'),
        dynamodb: { Keys: { [SK]: { S: FilterRule.beginsWith(SIGNAL_PREFIX) } } },
      }),
    ];
  }

  /** Event-source filter for the outbox dispatcher: stream records of newly written notifications. */
  static outboxFilter(): Record<string, unknown> {
    return FilterCriteria.filter({
      eventName: FilterRule.isEqual('INSERT'),
      dynamodb: { NewImage: { [ENTITY]: { S: FilterRule.isEqual(Entity.notification) } } },
    });
  }
}
