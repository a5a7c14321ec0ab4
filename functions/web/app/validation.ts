/**
 * Field errors for a form, keyed by the field's path in the request body (`evidence.bandwidthMbps`): from
 * the zod schemas checked in the page before sending, and from the `errors[]` of the API's problem+json
 * after.
 */
import type { z } from 'zod';
import type { FieldError } from '../../../shared/api/schemas.js';
import type { KitItem, School } from '../../../shared/program/model.js';
import { requiredBandwidthMbps } from '../../../shared/domain/evidence.js';
import type { I18n } from './i18n.js';

export type FieldErrors = Record<string, string>;

type Issue = z.core.$ZodIssue;

/** A zod issue in the page's language. */
export function issueMessage(issue: Issue, i18n: I18n): string {
  const { t } = i18n;
  const last = String(issue.path[issue.path.length - 1] ?? '');
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.input === '') return t('error.required');
      if (issue.expected === 'int') return t('error.integer');
      if (issue.expected === 'number') return t('error.number');
      return t('error.invalid');
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') {
        if (last === 'reason') return t('error.reason');
        return min <= 1 ? t('error.required') : t('error.minLength', { n: min });
      }
      if (issue.origin === 'array') return t('error.required');
      return min === 0 && issue.inclusive === false ? t('error.positive') : t('error.min', { n: i18n.number(min) });
    }
    case 'too_big':
      return issue.origin === 'string'
        ? t('error.maxLength', { n: Number(issue.maximum) })
        : t('error.max', { n: i18n.number(Number(issue.maximum)) });
    case 'invalid_format':
      if (issue.format === 'email') return t('error.email');
      return /date|deadline/i.test(last) ? t('error.date') : t('error.id');
    case 'custom':
      return /calendar/.test(issue.message) ? t('error.calendarDate') : t('error.invalid');
    default:
      return t('error.invalid');
  }
}

/**
 * The errors of a failed parse. `fieldOf` maps a zod path to the form's field name (e.g. an item's index
 * to its kit item); by default the path joined with dots.
 */
export function zodFieldErrors(error: z.ZodError, i18n: I18n, fieldOf: (path: readonly PropertyKey[]) => string = joinPath): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const field = fieldOf(issue.path);
    out[field] ??= issueMessage(issue, i18n);
  }
  return out;
}

export function joinPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/**
 * The API's field errors. In English its own words are shown; in Russian the rules of the evidence
 * standard get a Russian sentence (computed from the same shared rule), anything else is shown as sent.
 */
export function apiFieldErrors(errors: readonly FieldError[], i18n: I18n, school?: School): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors) {
    // The API names where a field is (`body.evidence.bandwidthMbps`); a form's fields are its body's.
    const field = e.field.replace(/^body\./, '');
    out[field] ??= i18n.lang === 'en' ? e.reason : localizeReason({ ...e, field }, i18n, school);
  }
  return out;
}

function localizeReason(e: FieldError, i18n: I18n, school?: School): string {
  const { t } = i18n;
  if (school && e.field === 'evidence.bandwidthMbps' && /below/i.test(e.reason)) {
    return t('error.bandwidthBelow', { min: requiredBandwidthMbps(school) });
  }
  if (e.field.startsWith('documents.') && /not attached/.test(e.reason)) return t('docs.requiredMissing');
  if (e.field === 'evidence.actDate' && /future/i.test(e.reason)) return t('error.actFuture');
  if (e.field === 'evidence.actDate' && /before/i.test(e.reason)) return t('error.actTooEarly');
  if (school && /^evidence\.items\./.test(e.field)) {
    const planned = school.plannedKit[e.field.slice('evidence.items.'.length) as KitItem];
    if (planned !== undefined && /planned/.test(e.reason)) return `${t('error.shortfall')} ${t('evidence.planned', { n: planned })}`;
  }
  if (school && e.field === 'evidence.teachersTrained' && /planned/.test(e.reason)) {
    return `${t('error.shortfall')} ${t('evidence.planned', { n: school.teachersToTrain })}`;
  }
  return e.reason;
}
