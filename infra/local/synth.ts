/**
 * The CDK app's template for the local stack, synthesized in-process. This module loads the CDK library
 * (seconds on a 2-core machine): the local stack imports it only when its cached template is out of date
 * (template-cache.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMilestoneApp } from '../aws/milestone-app.js';
import type { CfnTemplate } from './template.js';

/**
 * Synthesizes the CDK app in-process without bundling assets (the local stack runs the TypeScript
 * sources) and without the CDK's built-in CloudFormation validation: that check loads a WebAssembly
 * rule engine (2 to 20 s of every local start on a 2-core machine) and has nothing to say about a
 * template that only runs locally. `npm run synth`, `cdk deploy` and the template tests validate.
 */
export function synthTemplate(outdir?: string): CfnTemplate {
  const dir = outdir ?? mkdtempSync(path.join(tmpdir(), 'cos-synth-'));
  try {
    mkdirSync(dir, { recursive: true });
    const { app, stack } = createMilestoneApp({
      outdir: dir,
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  } finally {
    if (!outdir) rmSync(dir, { recursive: true, force: true });
  }
}
