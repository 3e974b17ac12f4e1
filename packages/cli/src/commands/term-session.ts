/**
 * Wires a terminal link (sockets) to the terminal core (display) for `picolink term`,
 * whatever shows the lines: a TTY with a prompt, or stdout/stderr in a script.
 */
import { openTermLink } from '@picolink/nettools';
import type { DisplayLine, TerminalCore, TermLink, TermTarget } from '@picolink/nettools';
import type { PicolinkError } from '@picolink/protocol';

/** A received line that has not ended is shown after this much quiet, in ms. */
const PARTIAL_LINE_MS = 100;

export interface TermSession {
  link: TermLink;
  /** Resolves when the link ended by itself (the TCP peer closed), with the error if it failed. */
  ended: Promise<PicolinkError | undefined>;
  /** Bytes received so far. */
  readonly receivedBytes: number;
  /** The last warning (a UDP port that answered "unreachable"). */
  readonly warning: PicolinkError | undefined;
  /** Sends a typed line; returns how many peers it went to. */
  sendLine(text: string): number;
  /** Shows any unfinished line and closes the link. */
  close(): Promise<void>;
}

export async function startTermSession(
  target: TermTarget,
  core: TerminalCore,
  show: (lines: DisplayLine[]) => void,
  options: {
    connectTimeoutMs: number;
    /** Show warnings as status lines (at a TTY); otherwise they are only kept in `warning`. */
    showWarnings: boolean;
  },
): Promise<TermSession> {
  let receivedBytes = 0;
  let warning: PicolinkError | undefined;
  let partialTimer: NodeJS.Timeout | undefined;
  let endLink!: (error: PicolinkError | undefined) => void;
  const ended = new Promise<PicolinkError | undefined>((resolve) => (endLink = resolve));

  function flushPartial(): void {
    partialTimer = undefined;
    show(core.flush());
  }

  const link = await openTermLink(
    target,
    {
      onData(bytes, info) {
        receivedBytes += bytes.length;
        show(core.receive(bytes, info));
        if (partialTimer) clearTimeout(partialTimer);
        partialTimer = core.pendingLineBytes > 0 ? setTimeout(flushPartial, PARTIAL_LINE_MS) : undefined;
      },
      onStatus(text) {
        show([core.status(text)]);
      },
      onWarning(error) {
        const repeated = warning?.message === error.message;
        warning = error;
        if (options.showWarnings && !repeated) show([core.status(error.message)]);
      },
      onEnd(error) {
        if (partialTimer) clearTimeout(partialTimer);
        show(core.flush());
        endLink(error);
      },
    },
    { connectTimeoutMs: options.connectTimeoutMs },
  );

  return {
    link,
    ended,
    get receivedBytes() {
      return receivedBytes;
    },
    get warning() {
      return warning;
    },
    sendLine: (text) => link.send(core.encodeLine(text)),
    close: async () => {
      if (partialTimer) clearTimeout(partialTimer);
      show(core.flush());
      await link.close();
    },
  };
}
