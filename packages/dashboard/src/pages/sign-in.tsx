/** The sign-in page: paste the token `picolink hub` printed (or open the link it printed). */
import { useState } from 'preact/hooks';
import { errorText, signIn } from '../api.js';
import type { Session } from '../api.js';
import { ErrorNote } from '../components/error-note.js';

export function SignInPage(props: { initialError: string | null; onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(props.initialError);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await signIn(token.trim()));
    } catch (err) {
      // The hub's own sentence: a wrong token, or too many tries (PL_ERR_RATE_LIMITED).
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="center">
      <form class="card sign-in" onSubmit={(event) => void submit(event)}>
        <h1>picolink</h1>
        <p>Open the link <code>picolink hub</code> printed, or paste its API token (also in <code>picolink-data/api-token</code>).</p>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>Sign in</button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
