/**
 * The signed-in user's token, kept in sessionStorage (this tab only, gone when it closes). A sign-in link
 * `…/#token=<jwt>` stores the token and drops it from the address bar and the history.
 */
const KEY = 'cos.token';
type Listener = (token: string | null, expired: boolean) => void;
const listeners = new Set<Listener>();

function read(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function write(token: string | null, expired = false): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage disabled: the token lives as long as the page.
  }
  memory = token;
  for (const l of listeners) l(token, expired);
}

let memory: string | null = null;

export const session = {
  token: (): string | null => memory ?? read(),
  signIn: (token: string): void => write(token.trim()),
  signOut: (): void => write(null),
  /** The API refused the token (expired or revoked). */
  expire: (): void => write(null, true),
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Takes a token from a `#token=…` sign-in link, if the page was opened with one. */
  adoptTokenFromLocation(): void {
    const m = /^#token=([^&]+)/.exec(location.hash);
    if (!m?.[1]) return;
    write(decodeURIComponent(m[1]));
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  },
};
