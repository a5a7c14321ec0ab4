/**
 * ValidateStateMachineDefinition: the problems `compileDefinition` finds, as the service reports them —
 * `{severity, code, message, location}` with `location` a JSON pointer into the definition
 * (`/States/A/Retry/0/ErrorEquals`), `result` OK or FAIL. The codes are the service's
 * (SCHEMA_VALIDATION_FAILED, INVALID_JSON_DESCRIPTION, MISSING_TRANSITION_TARGET,
 * INVALID_JSONATA_EXPRESSION, UNSUPPORTED_JSONATA_EXPRESSION); what the service accepts but this runtime
 * cannot run is an ERROR with the code LOCAL_RUNTIME_UNSUPPORTED, since such a machine cannot be
 * created here.
 */
import { compileDefinition } from './definition.js';
import { DefinitionError } from './errors.js';

export interface Diagnostic {
  severity: 'ERROR' | 'WARNING';
  code: string;
  message: string;
  location?: string;
}

export interface ValidationResult {
  result: 'OK' | 'FAIL';
  diagnostics: Diagnostic[];
  truncated: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** JSON pointers of every state, by name (states of Parallel branches and Map processors included). */
function statePointers(raw: unknown, base = '', out = new Map<string, string>()): Map<string, string> {
  if (!isObject(raw) || !isObject(raw.States)) return out;
  for (const [name, state] of Object.entries(raw.States)) {
    const at = `${base}/States/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!out.has(name)) out.set(name, at);
    if (!isObject(state)) continue;
    if (Array.isArray(state.Branches)) state.Branches.forEach((b, i) => statePointers(b, `${at}/Branches/${i}`, out));
    for (const key of ['ItemProcessor', 'Iterator']) if (isObject(state[key])) statePointers(state[key], `${at}/${key}`, out);
  }
  return out;
}

/** `Retry[0].ErrorEquals` / `Assign.x` / `Choices[1]/Condition` → `/Retry/0/ErrorEquals`, `/Assign/x`, … */
function fieldPointer(field: string): string {
  return `/${field
    .replace(/\[(\d+)\]/g, '/$1')
    .replace(/[./]+/g, '/')
    .replace(/^\//, '')}`;
}

function codeOf(message: string): string {
  if (/is not valid JSON/.test(message)) return 'INVALID_JSON_DESCRIPTION';
  if (/invalid JSONata expression|JSONata expression is empty/.test(message)) return 'INVALID_JSONATA_EXPRESSION';
  if (/\$states\.\w+, which|calls \$eval/.test(message)) return 'UNSUPPORTED_JSONATA_EXPRESSION';
  if (/which does not exist|is not reachable/.test(message)) return 'MISSING_TRANSITION_TARGET';
  if (/local runtime/.test(message)) return 'LOCAL_RUNTIME_UNSUPPORTED';
  return 'SCHEMA_VALIDATION_FAILED';
}

/** One problem message of `compileDefinition` as a diagnostic with the location it names. */
export function diagnose(problem: string, raw: unknown, pointers = statePointers(raw)): Diagnostic {
  const d: Diagnostic = { severity: 'ERROR', code: codeOf(problem), message: problem };
  const state = /^State '([^']*)':(?: field '([^']+)')?/.exec(problem);
  const top = /^Top level: field '([^']+)'/.exec(problem);
  if (state) {
    const at = pointers.get(state[1]!) ?? '';
    d.location = state[2] ? `${at}${fieldPointer(state[2])}` : at || '/';
  } else if (top) d.location = fieldPointer(top[1]!);
  else if (d.code !== 'INVALID_JSON_DESCRIPTION') d.location = '/';
  return d;
}

/** Validates a definition; `maxResults` bounds the diagnostics returned (default 100, as the service). */
export function validateDefinition(definition: string, options: { maxResults?: number; severity?: string } = {}): ValidationResult {
  let raw: unknown;
  try {
    raw = JSON.parse(definition);
  } catch {
    raw = undefined;
  }
  let diagnostics: Diagnostic[] = [];
  if (!isObject(raw) && raw !== undefined) {
    diagnostics = [{ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', message: 'Definition must be a valid JSON object' }];
  } else if (definition.trim() === '') {
    diagnostics = [{ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', message: 'Definition must be a valid JSON object' }];
  } else {
    try {
      compileDefinition(definition);
    } catch (err) {
      if (!(err instanceof DefinitionError)) throw err;
      const pointers = statePointers(raw);
      diagnostics = err.problems.map((p) => diagnose(p, raw, pointers));
    }
  }
  // severity WARNING also lists errors; ERROR (the default) lists errors only. This runtime reports no warnings.
  const max = options.maxResults && options.maxResults > 0 ? options.maxResults : 100;
  return {
    result: diagnostics.some((d) => d.severity === 'ERROR') ? 'FAIL' : 'OK',
    diagnostics: diagnostics.slice(0, max),
    truncated: diagnostics.length > max,
  };
}

/** The InvalidDefinition message of Create/UpdateStateMachine, worded as the service words it. */
export function invalidDefinitionMessage(err: DefinitionError, definition: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(definition);
  } catch {
    raw = undefined;
  }
  const pointers = statePointers(raw);
  const parts = err.problems.map((p) => {
    const d = diagnose(p, raw, pointers);
    return `${d.code}: ${d.message}${d.location ? ` at ${d.location}` : ''}`;
  });
  return `Invalid State Machine Definition: '${parts.join(', ')}'`;
}
