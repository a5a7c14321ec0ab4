/**
 * Why a command was refused. The code is what the API maps to an HTTP status (an RFC 9457 problem);
 * `issues` carry field paths such as `evidence.bandwidthMbps` for the problem's field details.
 */

export type RejectionCode = 'forbidden' | 'not-found' | 'not-allowed' | 'dependency' | 'invalid-evidence' | 'invalid';

export const REJECTION_HTTP_STATUS: Readonly<Record<RejectionCode, number>> = {
  /** The actor may not do this (role, district, or not the assignee). */
  forbidden: 403,
  /** The milestone is not part of the program. */
  'not-found': 404,
  /** The milestone's status does not allow this transition (or the command would change nothing). */
  'not-allowed': 409,
  /** The milestone's dependencies are not completed or waived yet. */
  dependency: 409,
  /** The evidence is well-formed but below the program's standard. */
  'invalid-evidence': 422,
  /** The command itself is malformed or names something that does not fit (unknown contractor, past date). */
  invalid: 400,
};

export interface RejectionIssue {
  /** Dotted path of the offending field (`evidence.items.mfp`, `deadline`, `dependsOn.connection`). */
  field: string;
  message: string;
}

export interface Rejection {
  code: RejectionCode;
  message: string;
  issues: RejectionIssue[];
}

export function rejection(code: RejectionCode, message: string, issues: RejectionIssue[] = []): Rejection {
  return { code, message, issues };
}

/** A rejection about one field. */
export function fieldRejection(code: RejectionCode, field: string, message: string): Rejection {
  return { code, message, issues: [{ field, message }] };
}
