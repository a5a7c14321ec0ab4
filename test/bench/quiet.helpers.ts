/**
 * Imported first by the API benchmarks, as quiet-handlers.ts is by the simulation, with warnings kept:
 * the functions' own logs (every workflow step, every signal) would drown the figures.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_LAMBDA_LOG_LEVEL ??= process.env.POWERTOOLS_LOG_LEVEL;
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

export {};
