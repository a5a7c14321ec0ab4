/**
 * The CDK app (`cdk.json`: `tsx infra/aws/app.ts`).
 *
 *   npx cdk synth                       # dev stage, template in cdk.out/CosMilestones-dev.template.json
 *   npx cdk deploy -c stage=prod -c alarmEmail=ops@example.org -c senderEmail=noreply@example.org
 */
import { createMilestoneApp } from './milestone-app.js';

createMilestoneApp().app.synth();
