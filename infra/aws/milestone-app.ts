/**
 * Builds the CDK app: reads the stage settings from the context and creates the stack. `app.ts` runs it
 * for the CDK CLI; the template tests call it with their own context.
 */
import { App, type AppProps } from 'aws-cdk-lib';
import { MilestoneStack } from './stacks/milestone-stack.js';
import { stageSettings, type StageSettings } from './settings.js';

export interface MilestoneApp {
  readonly app: App;
  readonly stack: MilestoneStack;
  readonly settings: StageSettings;
}

export function createMilestoneApp(props: AppProps = {}): MilestoneApp {
  const app = new App(props);
  const read = (key: string): unknown => app.node.tryGetContext(key);
  const settings = stageSettings(read);
  const account = read('account');
  const region = read('region');
  const stack = new MilestoneStack(app, settings.stackName, {
    settings,
    // Environment-agnostic unless `-c account=... -c region=...` pin it: synth needs no AWS access.
    ...(typeof account === 'string' && typeof region === 'string' ? { env: { account, region } } : {}),
  });
  return { app, stack, settings };
}
