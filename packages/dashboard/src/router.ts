/**
 * Client-side routes (the hub answers index.html for every path outside /api/):
 * `/` fleet, `/devices/ID` one device, `/manage` devices management, `/network` network tools.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route = { page: 'fleet' } | { page: 'device'; id: string } | { page: 'manage' } | { page: 'network' };

export function parseRoute(path: string): Route {
  const device = /^\/devices\/([^/]+)\/?$/.exec(path);
  if (device?.[1] !== undefined) return { page: 'device', id: decodeURIComponent(device[1]) };
  if (path === '/manage' || path === '/manage/') return { page: 'manage' };
  if (path === '/network' || path === '/network/') return { page: 'network' };
  return { page: 'fleet' };
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

/** The current route; re-renders on navigation and on the back button. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location.pathname));
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** Click handler for in-page links: plain clicks navigate without a reload. */
export function onLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest('a');
  const href = anchor?.getAttribute('href');
  if (!anchor || href === null || href === undefined || !href.startsWith('/') || anchor.hasAttribute('download')) return;
  event.preventDefault();
  navigate(href);
}
