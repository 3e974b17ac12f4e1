/** Starting the hub target process (hub-process.ts); its data directory is removed however it ends. */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TargetProcess } from '@picolink/test-kit/fuzz';

const HUB_PROCESS = fileURLToPath(new URL('./hub-process.js', import.meta.url));

export async function startHubTarget(): Promise<TargetProcess> {
  const target = await TargetProcess.start(HUB_PROCESS);
  const dir = target.info.dataDir;
  if (typeof dir === 'string') void target.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  return target;
}
