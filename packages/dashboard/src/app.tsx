/**
 * The page: signs in (the `#token=` link, or a pasted token), then shows the fleet, a
 * device, the devices management or the network tools page with a header to move between
 * them. The network tools page is a separate chunk, fetched when first shown.
 */
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText, restoreSession, setSignedOutHandler, signIn, signOut } from './api.js';
import { ErrorNote } from './components/error-note.js';
import { DevicePage } from './pages/device.js';
import { FleetPage } from './pages/fleet.js';
import { ManagePage } from './pages/manage.js';
import { SignInPage } from './pages/sign-in.js';
import { onLinkClick, useRoute } from './router.js';
import { liveStream } from './stream.js';

let networkTools: FunctionComponent | null = null;

/** The network tools page, loaded on first use. */
function NetworkTools() {
  const [page, setPage] = useState<FunctionComponent | null>(() => networkTools);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (page) return;
    import('./pages/network-tools.js').then(
      (module) => {
        networkTools = module.NetworkToolsPage;
        setPage(() => module.NetworkToolsPage);
      },
      (err: unknown) => setError(`The network tools page did not load (${errorText(err)}); reload the page.`),
    );
  }, []);
  const Page = page;
  if (Page) return <Page />;
  return error === null ? <p class="muted" aria-busy="true">Loading network tools…</p> : <ErrorNote error={error} />;
}

type AuthState = { state: 'loading' } | { state: 'signed-out'; error: string | null } | { state: 'signed-in'; auth: boolean };

/** Takes `#token=…` off the address (so it is neither bookmarked nor shared) and returns it. */
function takeTokenFromHash(): string | null {
  const match = /^#token=(.+)$/.exec(location.hash);
  if (!match?.[1]) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return decodeURIComponent(match[1]);
}

export function App() {
  const [auth, setAuth] = useState<AuthState>({ state: 'loading' });
  const [streamUp, setStreamUp] = useState(false);

  useEffect(() => {
    setSignedOutHandler(() => setAuth({ state: 'signed-out', error: 'Your session ended (the hub restarted or it expired); sign in again.' }));
    const token = takeTokenFromHash();
    const start = token === null ? restoreSession() : signIn(token);
    start.then(
      (session) => setAuth(session === null ? { state: 'signed-out', error: null } : { state: 'signed-in', auth: session.auth }),
      (err: unknown) => setAuth({ state: 'signed-out', error: errorText(err) }),
    );
    return liveStream.onState(setStreamUp);
  }, []);

  useEffect(() => {
    if (auth.state === 'signed-in') liveStream.start();
    else liveStream.stop();
  }, [auth.state]);

  if (auth.state === 'loading') return <main class="center" aria-busy="true"><p>Connecting to the hub…</p></main>;
  if (auth.state === 'signed-out') {
    return <SignInPage initialError={auth.error} onSignedIn={(session) => setAuth({ state: 'signed-in', auth: session.auth })} />;
  }
  return <SignedIn auth={auth.auth} streamUp={streamUp} onSignOut={() => setAuth({ state: 'signed-out', error: null })} />;
}

function SignedIn(props: { auth: boolean; streamUp: boolean; onSignOut: () => void }) {
  const route = useRoute();
  const [error, setError] = useState<string | null>(null);
  async function doSignOut(): Promise<void> {
    try {
      await signOut();
      props.onSignOut();
    } catch (err) {
      setError(errorText(err));
    }
  }
  return (
    <div onClick={onLinkClick}>
      <header class="top">
        <a class="brand" href="/">picolink</a>
        <nav aria-label="Pages">
          <a href="/" aria-current={route.page === 'fleet' ? 'page' : undefined}>Fleet</a>
          <a href="/manage" aria-current={route.page === 'manage' ? 'page' : undefined}>Devices</a>
          <a href="/network" aria-current={route.page === 'network' ? 'page' : undefined}>Network tools</a>
        </nav>
        <span class={props.streamUp ? 'live on' : 'live'} role="status">{props.streamUp ? 'live' : 'reconnecting…'}</span>
        {props.auth && <button type="button" onClick={() => void doSignOut()}>Sign out</button>}
        <ErrorNote error={error} />
      </header>
      <main>
        {route.page === 'fleet' && <FleetPage />}
        {route.page === 'device' && <DevicePage key={route.id} id={route.id} />}
        {route.page === 'manage' && <ManagePage />}
        {route.page === 'network' && <NetworkTools />}
      </main>
    </div>
  );
}
