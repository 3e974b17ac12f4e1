/** Pin lists in words, for error messages that tell a person which pins exist. */
import type { PinId } from '@picolink/protocol';

/** "GPIO 0-22, 26-28 or "LED"" for a board's pin list. */
export function describePins(pins: readonly PinId[]): string {
  const numbers = pins.filter((p): p is number => typeof p === 'number').sort((a, b) => a - b);
  const ranges: string[] = [];
  let start = numbers[0];
  let end = start;
  for (const n of [...numbers.slice(1), Number.NaN]) {
    if (end !== undefined && n === end + 1) {
      end = n;
      continue;
    }
    if (start !== undefined && end !== undefined) ranges.push(start === end ? `${start}` : `${start}-${end}`);
    start = n;
    end = n;
  }
  const names = pins.filter((p) => typeof p === 'string').map((p) => `"${p}"`);
  const parts = ranges.length > 0 ? [`GPIO ${ranges.join(', ')}`, ...names] : names;
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}` : (parts[0] ?? 'no pins');
}
