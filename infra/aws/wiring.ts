/**
 * The names the template and the local stack share: the source files of the functions the local stack
 * finds by their `cos:entry` metadata, and the variable that points the functions at the document
 * bucket. Declared here, without the CDK library, so that the constructs which declare them and the
 * local stack which looks them up use one name each, and the local stack (whose restart reuses the
 * synthesized template) does not load aws-cdk-lib to know them.
 */

/** The API Lambda handler (export `handler`). */
export const API_HANDLER_ENTRY = 'functions/api/handler.ts';

/** The outbox dispatcher (the table's stream and the daily re-drive). */
export const DISPATCHER_ENTRY = 'functions/notifications/dispatcher.ts';

/** The variable that names the document bucket to the functions that use it. */
export const DOCUMENT_BUCKET_ENV = 'DOCUMENT_BUCKET';
