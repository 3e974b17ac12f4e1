/** The test suite's verdict on a campaign: the report in the test's diagnostics, then one assertion per oracle. */
import { strict as assert } from 'node:assert';
import type { FuzzReport } from './campaign.js';
import { formatReport } from './campaign.js';

interface DiagnosticContext {
  diagnostic(message: string): void;
}

/**
 * Fails unless no input killed the target, every reply was acceptable and the
 * well-behaved client was answered throughout; `minInputs` guards against a campaign
 * that silently sent nothing.
 */
export function assertCampaignClean(t: DiagnosticContext, report: FuzzReport, minInputs: number): void {
  const text = formatReport(report);
  for (const line of text.split('\n')) t.diagnostic(line);
  assert.deepEqual(report.deaths.map((d) => `${d.death.split('\n')[0] ?? ''} (inputs ${(d.killers ?? d.suspects).slice(0, 5).join(', ')})`), [], text);
  assert.deepEqual(report.problems.map((p) => `${p.kind}: ${p.detail}`), [], text);
  assert.equal(report.probe.during.failures, 0, text);
  assert.ok(report.probe.during.count > 0, `the well-behaved client got no answer during fuzzing\n${text}`);
  assert.ok(report.inputsSent >= minInputs, `only ${report.inputsSent} inputs were sent (expected at least ${minInputs})\n${text}`);
}
