/**
 * The OpenAPI 3.0 description of the admin API, written by hand (see the README: generating it
 * with @nestjs/swagger needs the host's INestApplication, which a module never has, and would
 * make every host install it). admin-openapi.spec.ts checks that every route of
 * AdminApiController is described here, so the two cannot drift apart.
 */
export function adminOpenApiDocument(prefix: string, version: string): Record<string, unknown> {
  const base = `/${prefix}`;
  const json = (schema: Record<string, unknown>, description: string) => ({ description, content: { 'application/json': { schema } } });
  const error = { $ref: '#/components/schemas/Error' };
  const errors = {
    '400': json(error, 'A parameter is wrong; `hint` says what to send'),
    '401': json(error, 'No bearer token or a wrong one (token mode)'),
    '403': json(error, "The host's guard refused the request (guard mode)"),
  };
  const object = { type: 'object', additionalProperties: true };
  const query = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({
    name,
    in: 'query',
    required: false,
    description,
    schema,
  });
  const jobBody = {
    run: {
      type: 'object',
      additionalProperties: false,
      properties: {
        onlyDb: { type: 'boolean' },
        onlyFiles: { type: 'boolean' },
        onlyToDisk: { type: 'string' },
        disableNotifications: { type: 'boolean' },
      },
    },
    verify: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', description: 'File name or key; default the newest backup' },
        disk: { type: 'string' },
        all: { type: 'boolean' },
      },
    },
    'tenant-export': {
      type: 'object',
      additionalProperties: false,
      required: ['tenantId'],
      properties: { tenantId: { type: 'string' }, disk: { type: 'string' } },
    },
  };
  const planFields = {
    name: 'string',
    latest: 'boolean',
    disk: 'string',
    onlyDb: 'boolean',
    onlyFiles: 'boolean',
    dbName: 'string',
    toDatabase: 'string',
    filesTo: 'string',
    stripPrefix: 'string',
    allowUnencrypted: 'boolean',
    allowOtherApp: 'boolean',
    allowOtherEngine: 'boolean',
  };
  const jobPost = (kind: keyof typeof jobBody | 'test-restore', summary: string) => ({
    post: {
      operationId: `start${kind.replace(/(^|-)(\w)/g, (_m: string, _d: string, c: string) => c.toUpperCase())}Job`,
      tags: ['jobs'],
      summary,
      requestBody: { required: false, content: { 'application/json': { schema: jobBody[kind === 'test-restore' ? 'verify' : kind] } } },
      responses: {
        '202': json({ $ref: '#/components/schemas/Job' }, 'Accepted: the job runs on; follow it with GET jobs/{id}'),
        ...errors,
      },
    },
  });
  return {
    openapi: '3.0.3',
    info: {
      title: 'nest-backup admin API',
      version,
      description:
        'Backups, health, compliance report, audit trail and jobs of one app. Every request is recorded in the audit trail with its caller; no response carries a secret.',
    },
    security: [{ bearer: [] }],
    tags: [{ name: 'backups' }, { name: 'audit' }, { name: 'jobs' }, { name: 'restore' }],
    paths: {
      [`${base}/backups`]: {
        get: {
          operationId: 'listBackups',
          tags: ['backups'],
          summary: 'Every disk: reachable, healthy, count, newest backup, storage used (backup:list --json)',
          responses: { '200': json({ type: 'array', items: object }, 'One entry per disk'), ...errors },
        },
      },
      [`${base}/health`]: {
        get: {
          operationId: 'health',
          tags: ['backups'],
          summary: 'Health of every monitored disk (backup:monitor --json); sends no notification',
          responses: {
            '200': json(object, 'Every disk healthy'),
            '503': json(object, 'Some disk unhealthy or unreachable (the same report)'),
            ...errors,
          },
        },
      },
      [`${base}/report`]: {
        get: {
          operationId: 'complianceReport',
          tags: ['audit'],
          summary: 'Compliance report (backup:report --format json)',
          parameters: [query('since', 'Start of the period: an ISO date or an age (30d, 12h); default 30 days ago')],
          responses: { '200': json(object, 'The report'), ...errors },
        },
      },
      [`${base}/audit`]: {
        get: {
          operationId: 'auditTrail',
          tags: ['audit'],
          summary: 'Audit records, newest first, paged',
          parameters: [
            query('operation', 'Only this operation', {
              type: 'string',
              enum: ['run', 'clean', 'monitor', 'verify', 'restore', 'tenant-export', 'tenant-restore', 'admin-request'],
            }),
            query('outcome', 'Only this outcome', { type: 'string', enum: ['success', 'partial', 'failure'] }),
            query('since', 'ISO date or age (30d, 12h)'),
            query('page', 'Page number from 1', { type: 'integer', minimum: 1, default: 1 }),
            query('pageSize', 'Records per page (at most 500)', { type: 'integer', minimum: 1, maximum: 500, default: 50 }),
          ],
          responses: { '200': json({ $ref: '#/components/schemas/AuditPage' }, 'One page'), ...errors },
        },
      },
      [`${base}/jobs`]: {
        get: {
          operationId: 'listJobs',
          tags: ['jobs'],
          summary: 'Recent jobs, newest first',
          responses: { '200': json({ type: 'array', items: { $ref: '#/components/schemas/Job' } }, 'Jobs'), ...errors },
        },
      },
      [`${base}/jobs/run`]: jobPost('run', 'Start a backup run (backup:run)'),
      [`${base}/jobs/verify`]: jobPost('verify', 'Verify a backup (backup:verify)'),
      [`${base}/jobs/test-restore`]: jobPost(
        'test-restore',
        'Verify and test-restore a backup into scratch databases (backup:verify --test-restore)',
      ),
      [`${base}/jobs/tenant-export`]: jobPost('tenant-export', "Export one tenant's data (backup:tenant-export)"),
      [`${base}/jobs/{id}`]: {
        get: {
          operationId: 'getJob',
          tags: ['jobs'],
          summary: "A job's state, progress and result",
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json({ $ref: '#/components/schemas/Job' }, 'The job'),
            '404': json(error, 'No such job (jobs live in memory)'),
            ...errors,
          },
        },
      },
      [`${base}/restore-plan`]: {
        get: {
          operationId: 'restorePlan',
          tags: ['restore'],
          summary: 'Dry-run restore plan (backup:restore --dry-run --json); changes nothing',
          parameters: Object.entries(planFields).map(([name, type]) => query(name, '', { type })),
          responses: { '200': json(object, 'The plan'), ...errors },
        },
        post: {
          operationId: 'restorePlanFromBody',
          tags: ['restore'],
          summary: 'The same dry-run plan, asked with a JSON body',
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  additionalProperties: false,
                  properties: Object.fromEntries(Object.entries(planFields).map(([n, type]) => [n, { type }])),
                },
              },
            },
          },
          responses: { '200': json(object, 'The plan'), ...errors },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'BACKUP_ADMIN_TOKEN (or whatever the host guard checks)' },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } },
        },
        Job: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            kind: { type: 'string', enum: ['run', 'verify', 'test-restore', 'tenant-export'] },
            state: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
            caller: { type: 'string' },
            params: object,
            createdAt: { type: 'string', format: 'date-time' },
            startedAt: { type: 'string', format: 'date-time', nullable: true },
            finishedAt: { type: 'string', format: 'date-time', nullable: true },
            progress: {
              type: 'object',
              properties: {
                step: { type: 'string', nullable: true },
                bytes: { type: 'integer', nullable: true },
                uploaded: { type: 'array', items: object },
                updatedAt: { type: 'string', nullable: true },
              },
            },
            result: { ...object, nullable: true, description: "The service's report, as the CLI's --json prints it" },
            error: { type: 'string', nullable: true },
          },
        },
        AuditPage: {
          type: 'object',
          properties: {
            total: { type: 'integer' },
            page: { type: 'integer' },
            pageSize: { type: 'integer' },
            records: { type: 'array', items: object },
            sources: { type: 'array', items: { type: 'string' } },
            problems: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  };
}
