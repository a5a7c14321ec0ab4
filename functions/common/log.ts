/**
 * One logger for every function: Powertools Logger (structured JSON lines with the Lambda context and
 * the level from `POWERTOOLS_LOG_LEVEL`). The pieces several functions share (the workflow signal, the
 * API app, bulk jobs) take a `Log` callback, which `logTo` makes from the function's logger.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string, data: Record<string, unknown>) => void;

/** The `Log` of a Powertools logger. */
export function logTo(logger: Pick<Logger, LogLevel>): Log {
  return (level, message, data) => logger[level](message, data);
}

/** A `Log` over a new Powertools logger of this service, for pieces used without their function's logger. */
export function serviceLog(serviceName: string): Log {
  return logTo(new Logger({ serviceName }));
}
