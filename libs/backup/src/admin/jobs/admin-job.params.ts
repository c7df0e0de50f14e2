import { AdminRequestError } from '../admin.errors';
import { ADMIN_JOB_KINDS, AdminJobKind, AdminJobParams } from './admin-job.types';

type FieldType = 'boolean' | 'string';
const FIELDS: Record<AdminJobKind, Record<string, FieldType>> = {
  run: { onlyDb: 'boolean', onlyFiles: 'boolean', onlyToDisk: 'string', disableNotifications: 'boolean' },
  verify: { name: 'string', disk: 'string', all: 'boolean' },
  'test-restore': { name: 'string', disk: 'string', all: 'boolean' },
  'tenant-export': { tenantId: 'string', disk: 'string' },
};

/** The job kind named in the path, or a 400 naming the known ones. */
export function parseJobKind(kind: string): AdminJobKind {
  if ((ADMIN_JOB_KINDS as readonly string[]).includes(kind)) return kind as AdminJobKind;
  throw new AdminRequestError(`No job kind "${kind}"`, `POST to jobs/${ADMIN_JOB_KINDS.join(', jobs/')}.`);
}

/** The body of a POST jobs/<kind>: only the fields that kind knows, of their type. */
export function parseJobParams(kind: AdminJobKind, body: unknown): AdminJobParams {
  const input = body ?? {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw new AdminRequestError('The request body must be a JSON object', "Send {} or the job's fields.");
  const fields = FIELDS[kind];
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(key in fields))
      throw new AdminRequestError(`"${key}" is not a field of a ${kind} job`, `Known fields: ${Object.keys(fields).join(', ')}.`);
    if (typeof value !== fields[key])
      throw new AdminRequestError(`"${key}" must be a ${fields[key]}`, `Send "${key}" as a JSON ${fields[key]}.`);
    params[key] = value;
  }
  if (kind === 'tenant-export' && !params.tenantId)
    throw new AdminRequestError('A tenant-export job needs "tenantId"', 'Send {"tenantId": "<id>"}.');
  if (params.onlyDb && params.onlyFiles) throw new AdminRequestError('"onlyDb" and "onlyFiles" exclude each other', 'Send one of them.');
  return params as AdminJobParams;
}
