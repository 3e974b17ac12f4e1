/**
 * Commands through the hub, and the state that survives reconnects (docs/hub.md#state).
 * `send(deviceId, request, actor)` sends one protocol request through whichever link the
 * device has (dial-home or server mode), writes an audit record (who, what, which device,
 * result) and remembers the outputs the hub set: setup_pin (mode, pull, safe value),
 * lasting write_pin values and leases with their end time. When the device comes back
 * online — after its own restart, a network drop or the hub's restart — the remembered
 * outputs are set again (safe value first, then the lasting value, then a lease only if
 * it has time left), and a `state_reapplied` event says what was done.
 *
 * Create it before the gateway and the server-mode links start, so that it hears every
 * device come online.
 */
import { echoedFields, ErrorCode, isErrorCode, toPicolinkError, validateRequest } from '@picolink/protocol';
import type { PicolinkError, PinId, ValidRequest } from '@picolink/protocol';
import type { DeviceStatusChange, HubBus } from '../bus.js';
import type { DeviceDirectory, DeviceLink } from '../directory.js';
import type { HubStore, OutputState } from '../store/store.js';
import type { RateLimitedLog } from '@picolink/net';
import type { EventRecorder } from './event-recorder.js';
import { KeyBatch } from './key-batch.js';
import { outputChange, reapplyPlan } from './output-record.js';

/** The actor recorded for commands the hub sends on its own (re-applied state). */
export const HUB_ACTOR = 'hub';

export interface DeviceCommandsOptions {
  store: HubStore;
  bus: HubBus;
  directory: DeviceDirectory;
  /** Where `state_reapplied` events go (the hub's one EventRecorder). */
  events: EventRecorder;
  /** The hub's log: failed store writes and failed re-applications, through its per-kind budget. */
  log: RateLimitedLog;
  /** Time allowed for each device answer, ms. Default: the link's own (10000 for dial-home). */
  timeoutMs?: number;
  /** Sends commands for devices another hub of the cluster holds (cluster/command-relay.ts). Default: none. */
  remote?: CommandForwarder;
}

/** How a command for a device held by another hub ended. */
export type ForwardOutcome = { response: Record<string, unknown> } | { error: PicolinkError; answered: boolean };

/** The way to devices held by other hubs of a cluster. */
export interface CommandForwarder {
  /** The other hub holding the device's connection now, or undefined. */
  holderOf(deviceId: string): string | undefined;
  /**
   * Has `holder` send the request (without `id`) through its own commands service.
   * `answered` is false when no answer came from the holder (then it may have written no audit record).
   */
  forward(holder: string, deviceId: string, request: Record<string, unknown>, actor: string, timeoutMs?: number): Promise<ForwardOutcome>;
}

export interface SendOptions {
  /** Time allowed for the device's answer, ms. Default: DeviceCommandsOptions.timeoutMs. */
  timeoutMs?: number;
  /** Only a link of this hub: never forwarded to another hub (commands another hub relayed here). */
  localOnly?: boolean;
}

/** What one re-application did, as the state_reapplied event lists it. */
export interface ReapplyStepReport {
  pin: PinId;
  action: string;
  request: Record<string, unknown>;
  /** "ok" or the error code. */
  result: string;
}

export interface ReapplyReport {
  deviceId: string;
  steps: ReapplyStepReport[];
  /** Pins whose lease ended while the device was away (not re-applied). */
  expiredLeases: PinId[];
}

/** "ok", or the code of an error response (legacy servers send a message only). */
export function responseResult(response: Record<string, unknown>): string {
  const failed = response.ok === false || (response.ok === undefined && response.error !== undefined);
  if (!failed) return 'ok';
  return isErrorCode(response.code) ? response.code : ErrorCode.BAD_RESPONSE;
}

export class DeviceCommands {
  private readonly events: EventRecorder;
  private readonly log: RateLimitedLog;
  /** Per device, the tail of its chain of state updates, so they apply in response order. */
  private readonly chains = new Map<string, Promise<void>>();
  private closed = false;
  /** Outputs of devices coming online together, read in one query. */
  private readonly onlineLoads: KeyBatch<string, OutputState[]>;

  constructor(private readonly options: DeviceCommandsOptions) {
    this.log = options.log;
    this.events = options.events;
    this.onlineLoads = new KeyBatch((deviceIds) => options.store.loadOutputStatesOf(deviceIds), (deviceId) => deviceId);
    options.bus.on('status', this.busOnStatus);
  }

  /**
   * Sends one request (its `id`, if any, is replaced by the link's) on behalf of `actor`
   * and resolves with the device's raw response, error responses included. Rejects with
   * PL_ERR_DEVICE_OFFLINE, PL_ERR_TIMEOUT or PL_ERR_CONNECTION_CLOSED when no answer
   * came; every outcome is in the audit log. A device that another hub of the cluster
   * holds is sent the request through that hub, which writes the audit record and keeps
   * the outputs; this hub writes one only when that hub never answered.
   */
  readonly send = async (deviceId: string, request: Record<string, unknown>, actor: string, options: SendOptions = {}): Promise<Record<string, unknown>> => {
    const { id: _id, ...fields } = request;
    const { directory, remote } = this.options;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    let link = directory.get(deviceId);
    if (!link) {
      const holder = options.localOnly ? undefined : remote?.holderOf(deviceId);
      if (remote && holder !== undefined) return this.forward(remote, holder, deviceId, fields, actor, timeoutMs);
      try {
        link = directory.require(deviceId);
      } catch (err) {
        await this.audit(actor, deviceId, fields, toPicolinkError(err).code, null);
        throw err;
      }
    }
    const response = await this.sendOn(link, fields, actor, timeoutMs);
    if (responseResult(response) === 'ok') await this.remember(link, fields, response);
    return response;
  };

  /** Sets the remembered outputs of a device again; normally run when it comes online. */
  reapply(deviceId: string): Promise<ReapplyReport | undefined> {
    return this.chain(deviceId, () => this.reapplyNow(deviceId));
  }

  /** What the hub remembers for a device. */
  outputs(deviceId: string): Promise<OutputState[]> {
    return this.options.store.loadOutputStates(deviceId);
  }

  /** Stops listening for devices coming online; resolves when running work is stored. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.bus.off('status', this.busOnStatus);
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
    await this.events.flush();
  }

  private async forward(remote: CommandForwarder, holder: string, deviceId: string, fields: Record<string, unknown>, actor: string, timeoutMs: number | undefined): Promise<Record<string, unknown>> {
    const outcome = await remote.forward(holder, deviceId, fields, actor, timeoutMs);
    if ('response' in outcome) return outcome.response;
    if (!outcome.answered) await this.audit(actor, deviceId, fields, outcome.error.code, null);
    throw outcome.error;
  }

  private readonly busOnStatus = (change: DeviceStatusChange): void => {
    if (!change.online || this.closed) return;
    // Another hub's device: that hub sets its outputs again on its own link.
    if (change.hubId !== undefined) return;
    this.reapply(change.deviceId).catch((err: unknown) => this.log.limited('reapply', `state: re-applying the outputs of "${change.deviceId}" failed: ${toPicolinkError(err).message}`));
  };

  private async sendOn(link: DeviceLink, fields: Record<string, unknown>, actor: string, timeoutMs = this.options.timeoutMs): Promise<Record<string, unknown>> {
    let response: Record<string, unknown>;
    try {
      response = await link.send(fields, timeoutMs === undefined ? {} : { timeoutMs });
    } catch (err) {
      await this.audit(actor, link.deviceId, fields, toPicolinkError(err).code, null);
      throw err;
    }
    const result = responseResult(response);
    await this.audit(actor, link.deviceId, fields, result, response);
    if (result === 'ok') this.options.bus.emit('command', { deviceId: link.deviceId, request: fields, response, actor });
    return response;
  }

  private async audit(actor: string, deviceId: string, request: Record<string, unknown>, result: string, response: Record<string, unknown> | null): Promise<void> {
    try {
      await this.options.store.insertAudit({
        time: Date.now(),
        actor,
        deviceId,
        action: typeof request.action === 'string' ? request.action : String(request.action),
        // An update's file contents are not kept: only their names, as the response echoes them.
        request: echoedFields(request),
        result,
        response,
      });
    } catch (err) {
      this.log.limited('audit', `audit: recording "${String(request.action)}" for "${deviceId}" failed: ${toPicolinkError(err).message}`);
    }
  }

  /** Records what a successful command did to an output. */
  private remember(link: DeviceLink, fields: Record<string, unknown>, response: Record<string, unknown>): Promise<void> {
    let request: ValidRequest;
    try {
      request = validateRequest(fields);
    } catch {
      return Promise.resolve();
    }
    if (request.action !== 'setup_pin' && request.action !== 'write_pin' && request.action !== 'set_pwm') return Promise.resolve();
    const { store } = this.options;
    const deviceId = link.deviceId;
    return this.chain(deviceId, async () => {
      try {
        const pin = request.fields.pin;
        const previous = (await store.loadOutputStates(deviceId)).find((state) => state.pin === pin);
        const change = outputChange(deviceId, request, response, previous, Date.now(), link.protocol === null);
        if (change?.kind === 'save') await store.saveOutputState(change.state);
        else if (change?.kind === 'delete') await store.deleteOutputState(deviceId, change.pin);
      } catch (err) {
        this.log.limited('output-state', `state: recording the output set on "${deviceId}" failed: ${toPicolinkError(err).message}`);
      }
    });
  }

  private async reapplyNow(deviceId: string): Promise<ReapplyReport | undefined> {
    const { store, directory } = this.options;
    const states = await this.onlineLoads.add(deviceId);
    if (states.length === 0) return undefined;
    const link = directory.get(deviceId);
    if (!link) return undefined;
    const plan = reapplyPlan(states, Date.now(), link.protocol === null);
    for (const state of plan.expired) await store.saveOutputState(state);
    // All at once: the link pipelines them (or queues them) and the device answers in order.
    const outcomes = await Promise.allSettled(plan.steps.map((step) => this.sendOn(link, step.request, HUB_ACTOR)));
    const steps: ReapplyStepReport[] = plan.steps.map((step, i) => {
      const outcome = outcomes[i] as PromiseSettledResult<Record<string, unknown>>;
      const { action, ...rest } = step.request;
      const result = outcome.status === 'fulfilled' ? responseResult(outcome.value) : toPicolinkError(outcome.reason).code;
      return { pin: step.pin, action: String(action), request: rest, result };
    });
    const report: ReapplyReport = { deviceId, steps, expiredLeases: plan.expired.map((state) => state.pin) };
    const failed = steps.filter((step) => step.result !== 'ok');
    if (failed.length > 0) {
      this.log.limited('reapply', `state: ${failed.length} of ${steps.length} commands re-applied to "${deviceId}" failed (first: ${failed[0]?.action} pin ${String(failed[0]?.pin)}: ${failed[0]?.result})`);
    }
    this.events.record({ deviceId, type: 'state_reapplied', time: Date.now(), data: { steps, expiredLeases: report.expiredLeases } });
    return report;
  }

  /** Runs `work` after the device's earlier state work; keeps the chain free of rejections. */
  private chain<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(deviceId) ?? Promise.resolve();
    const result = previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(deviceId, tail);
    void tail.then(() => {
      if (this.chains.get(deviceId) === tail) this.chains.delete(deviceId);
    });
    return result;
  }
}

