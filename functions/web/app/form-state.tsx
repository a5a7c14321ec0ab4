/**
 * What the region screens' forms share: field errors, a form-level message and a busy flag; refusing
 * with the errors shown at their fields (the focus on the first); sending, with the API's field errors
 * taken to the form's fields; and the message and button rows.
 */
import { useRef, useState } from 'preact/hooks';
import type { FieldError } from '../../../shared/api/schemas.js';
import { ApiError } from './api.js';
import { useI18n } from './i18n.js';
import { errorText, focusFirstError } from './ui.js';
import type { FieldErrors } from './validation.js';

export interface SendHandlers {
  /** The API's field errors at the form's field names. */
  fields: (errors: readonly FieldError[]) => FieldErrors;
  /** Any other error: the message to show, null when handled already, undefined for the error's own text. */
  other?: (error: unknown) => string | null | undefined;
}

export function useFormState() {
  const i18n = useI18n();
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Shows the errors (none: the message alone) and moves the focus to the first. */
  const refuse = (found: FieldErrors, message = i18n.t('form.fixErrors')) => {
    setErrors(found);
    setFormError(message);
    focusFirstError(formRef.current);
  };

  const send = async (work: () => Promise<void>, handlers: SendHandlers) => {
    setErrors({});
    setFormError(null);
    setBusy(true);
    try {
      await work();
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors.length > 0) refuse(handlers.fields(err.fieldErrors));
      else {
        const message = handlers.other?.(err);
        if (message !== null) refuse({}, message ?? errorText(err, i18n));
      }
    } finally {
      setBusy(false);
    }
  };

  return { formRef, errors, formError, busy, refuse, send };
}

export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div class="alert alert-error form-error" role="alert" tabIndex={-1}>
      <p>{message}</p>
    </div>
  );
}

/** The submit button and "cancel". */
export function FormButtons({ label, busy, danger, onCancel }: { label: string; busy: boolean; danger?: boolean; onCancel: () => void }) {
  const { t } = useI18n();
  return (
    <div class="form-actions">
      <button type="submit" class={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy} aria-busy={busy}>
        {label}
      </button>
      <button type="button" class="btn btn-secondary" onClick={onCancel} disabled={busy}>
        {t('cancel')}
      </button>
    </div>
  );
}
