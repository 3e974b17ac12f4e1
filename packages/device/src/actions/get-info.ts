/** get_info and get_resource_info (piconetcontrol's README name): memory, uptime, board, update status. */
import type { DeviceInfo } from '@picolink/protocol';
import { capabilitiesFor } from './context.js';
import type { ActionContext, ActionHandler } from './context.js';

function infoFor(context: ActionContext): DeviceInfo {
  return { ...context.runtime.info(), capabilities: capabilitiesFor(context) };
}

export const getInfo: ActionHandler<'get_info'> = function getInfo(_request, context) {
  return { info: infoFor(context) };
};

export const getResourceInfo: ActionHandler<'get_resource_info'> = function getResourceInfo(_request, context) {
  return { info: infoFor(context) };
};
