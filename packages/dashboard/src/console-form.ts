/**
 * The command console's form, generated from the protocol package's action table: one
 * input per field, of the kind its type calls for, and the request those inputs make.
 */
import { ACTIONS } from '@picolink/protocol';
import type { ActionName, FieldSpec } from '@picolink/protocol';

export type InputKind = 'number' | 'checkbox' | 'select' | 'text' | 'json';

export interface FormField {
  name: string;
  required: boolean;
  doc: string;
  kind: InputKind;
  options?: readonly string[];
  min?: number;
  max?: number;
  step?: number;
  unit?: string;
}

export function formFields(action: ActionName): FormField[] {
  const fields = ACTIONS[action].fields as Readonly<Record<string, FieldSpec>>;
  return Object.entries(fields).map(([name, spec]) => {
    const base = { name, required: spec.required, doc: spec.doc };
    const type = spec.type;
    switch (type.kind) {
      case 'int':
      case 'number':
        return { ...base, kind: 'number', min: type.min, max: type.max, step: type.kind === 'int' ? 1 : 0.01, ...(type.unit === undefined ? {} : { unit: type.unit }) };
      case 'bool':
        return { ...base, kind: 'checkbox' };
      case 'bit':
        return { ...base, kind: 'select', options: ['0', '1'] };
      case 'enum':
        return { ...base, kind: 'select', options: type.values };
      case 'pin':
        return { ...base, kind: 'text' };
      default:
        return { ...base, kind: 'json' };
    }
  });
}

/** The request the form's values make; empty optional fields are left out. */
export function requestFromForm(action: ActionName, values: Record<string, string | boolean>): Record<string, unknown> {
  const request: Record<string, unknown> = { action };
  for (const field of formFields(action)) {
    const raw = values[field.name];
    if (raw === undefined || raw === '') continue;
    if (field.kind === 'checkbox') {
      if (raw === true || field.required) request[field.name] = raw === true;
    } else if (field.kind === 'number' || (field.kind === 'select' && field.options?.[0] === '0')) {
      request[field.name] = Number(raw);
    } else if (field.kind === 'text') {
      request[field.name] = /^\d+$/.test(String(raw)) ? Number(raw) : raw;
    } else if (field.kind === 'json') {
      try {
        request[field.name] = JSON.parse(String(raw)) as unknown;
      } catch {
        request[field.name] = raw;
      }
    } else {
      request[field.name] = raw;
    }
  }
  return request;
}
