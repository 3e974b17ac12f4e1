/**
 * Up/Down history of a text box (the command console, a network tools send box): newest
 * first, no repeats, at most {@link MAX_HISTORY} lines, for this page load.
 */

export const MAX_HISTORY = 100;

/** The history with `line` sent now: moved to the front, the oldest dropped past the bound. */
export function remember(history: readonly string[], line: string): string[] {
  return [line, ...history.filter((old) => old !== line)].slice(0, MAX_HISTORY);
}

/**
 * One step through the history for an Up or Down key: the new cursor (null: back to an
 * empty box) and the text to show; undefined for any other key or an empty history.
 */
export function historyStep(history: readonly string[], cursor: number | null, key: string): { cursor: number | null; text: string } | undefined {
  if ((key !== 'ArrowUp' && key !== 'ArrowDown') || history.length === 0) return undefined;
  const next = key === 'ArrowUp' ? Math.min(history.length - 1, cursor === null ? 0 : cursor + 1) : cursor === null || cursor === 0 ? null : cursor - 1;
  return { cursor: next, text: next === null ? '' : (history[next] ?? '') };
}

/** An onKeyDown handler walking `history` with Up and Down; `show` gets the new cursor and text. */
export function historyKeys(history: readonly string[], cursor: number | null, show: (cursor: number | null, text: string) => void): (event: KeyboardEvent) => void {
  return (event) => {
    const step = historyStep(history, cursor, event.key);
    if (!step) return;
    event.preventDefault();
    show(step.cursor, step.text);
  };
}
