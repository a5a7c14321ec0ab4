/**
 * Imported first by the API benchmarks: the functions' loggers take Lambda's log-level control
 * (`AWS_LAMBDA_LOG_LEVEL`, set by Lambda from the function's logging config) before their own
 * `POWERTOOLS_LOG_LEVEL`, which the template sets for each function; warnings and errors still show.
 */
process.env.AWS_LAMBDA_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

export {};
