/**
 * Imported first by run.ts, before anything that loads the CDK app or the handlers: the handlers'
 * Powertools loggers read their level when their module is evaluated (the workflows construct imports
 * handler modules for their constants), and a simulation runs tens of thousands of invocations in
 * this process. The level goes to Lambda's log-level control (`AWS_LAMBDA_LOG_LEVEL`) too, which the
 * loggers take before the level each function's environment sets. Errors still show;
 * `POWERTOOLS_LOG_LEVEL=INFO npm run simulate` shows everything.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_LAMBDA_LOG_LEVEL ??= process.env.POWERTOOLS_LOG_LEVEL;
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

export {};
