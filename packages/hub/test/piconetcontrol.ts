/**
 * The client package's stand-in for a stock piconetcontrol server (written from
 * reference/piconetcontrol.md), reused rather than copied. Its compiled module is loaded
 * from the client's build output; the type comes from its source.
 */
import type * as Fixture from '../../client/test/fixtures/piconetcontrol-server.js';
import type { PiconetcontrolServer, PiconetcontrolServerOptions } from '../../client/test/fixtures/piconetcontrol-server.js';

// From packages/hub/dist/test/ to packages/client/dist/test/fixtures/.
const FIXTURE = new URL('../../../client/dist/test/fixtures/piconetcontrol-server.js', import.meta.url);

export async function startPiconetcontrolServer(options: PiconetcontrolServerOptions = {}): Promise<PiconetcontrolServer> {
  const fixture = (await import(FIXTURE.href)) as typeof Fixture;
  return fixture.PiconetcontrolServer.start(options);
}
