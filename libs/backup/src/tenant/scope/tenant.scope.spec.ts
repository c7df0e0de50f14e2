import { TableModel } from './table.model';
import { InvalidTenantIdError, TenantConfigError } from '../tenant.errors';
import { parseTenantId } from './tenant-id';
import { buildTenantScope } from './tenant.scope';
import { tenantCondition } from './scope.sql';

const int = (name: string, primary = false) => ({ name, type: 'integer', primary });
const fk = (columns: string[], table: string, referencedColumns = ['id']) => ({ columns, table, referencedColumns });

/** The demo schema plus a many-to-many join table, a shared lookup table and a log table nobody placed. */
const models: TableModel[] = [
  { name: 'tenants', entityName: 'Tenant', columns: [int('id', true), { name: 'name', type: 'string' }], foreignKeys: [] },
  {
    name: 'users',
    columns: [int('id', true), int('tenant_id'), int('role_id')],
    foreignKeys: [fk(['tenant_id'], 'tenants'), fk(['role_id'], 'roles')],
  },
  { name: 'roles', columns: [int('id', true)], foreignKeys: [] },
  { name: 'clinics', columns: [int('id', true), int('tenant_id')], foreignKeys: [fk(['tenant_id'], 'tenants')] },
  {
    name: 'queues',
    columns: [int('id', true), int('tenant_id'), int('clinic_id')],
    foreignKeys: [fk(['tenant_id'], 'tenants'), fk(['clinic_id'], 'clinics')],
  },
  { name: 'sub_queues', columns: [int('id', true), int('queue_id')], foreignKeys: [fk(['queue_id'], 'queues')] },
  { name: 'sub_queue_notes', columns: [int('id', true), int('sub_queue_id')], foreignKeys: [fk(['sub_queue_id'], 'sub_queues')] },
  {
    name: 'users_clinics',
    junction: true,
    columns: [int('user_id', true), int('clinic_id', true)],
    foreignKeys: [fk(['user_id'], 'users'), fk(['clinic_id'], 'clinics')],
  },
  { name: 'audit_log', columns: [int('id', true)], foreignKeys: [] },
];

describe('buildTenantScope', () => {
  const scope = buildTenantScope(models, { sharedTables: ['roles'] });

  it('finds the tenant table through the foreign key on tenant_id', () => {
    expect(scope.key).toEqual({ table: 'tenants', column: 'id', type: 'integer', length: undefined });
  });

  it('places tables with the column, tables reaching one through foreign keys (two hops), and join tables', () => {
    const placed = Object.fromEntries(
      scope.tables.map((t) => [t.table, t.placement.kind === 'parent' ? `via ${t.placement.parent}` : t.placement.kind]),
    );
    expect(placed).toEqual({
      tenants: 'tenant',
      users: 'column',
      clinics: 'column',
      queues: 'column',
      sub_queues: 'via queues',
      sub_queue_notes: 'via sub_queues',
      users_clinics: 'via users', // the first foreign key to a scoped table wins
    });
    expect(scope.tables.find((t) => t.table === 'users_clinics')!.reason).toMatch(/^join table/);
  });

  it('orders parents before children', () => {
    const order = scope.tables.map((t) => t.table);
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('tenants', 'users');
    before('clinics', 'queues');
    before('queues', 'sub_queues');
    before('sub_queues', 'sub_queue_notes');
    before('users', 'users_clinics');
    before('clinics', 'users_clinics');
  });

  it('lists what it cannot place, and says when a scoped table refers to it', () => {
    expect(scope.shared).toEqual(['roles']);
    expect(scope.unplaced.map((u) => u.table)).toEqual(['audit_log']);
    const withoutShared = buildTenantScope(models);
    expect(withoutShared.unplaced.find((u) => u.table === 'roles')!.reason).toContain('referenced by users');
  });

  it('honours an explicit tenant entity and refuses an unknown one', () => {
    expect(buildTenantScope(models, { entity: 'Tenant' }).key.table).toBe('tenants');
    expect(() => buildTenantScope(models, { entity: 'Nope' })).toThrow(TenantConfigError);
  });

  it('builds a condition with the id as the only bound parameter', () => {
    const sql = { quote: (n: string) => `"${n}"`, placeholder: (n: number) => `$${n}` };
    expect(tenantCondition(scope, 'sub_queue_notes', sql)).toBe(
      'EXISTS (SELECT 1 FROM "sub_queues" nb_p1 WHERE nb_p1."id" = "sub_queue_notes"."sub_queue_id" AND ' +
        'EXISTS (SELECT 1 FROM "queues" nb_p2 WHERE nb_p2."id" = nb_p1."queue_id" AND nb_p2."tenant_id" = $1))',
    );
  });
});

describe('parseTenantId', () => {
  it('accepts ids of the key type and refuses the rest, SQL included', () => {
    expect(parseTenantId(' 42 ', { table: 't', column: 'id', type: 'integer' })).toBe(42);
    expect(parseTenantId('9223372036854775807', { table: 't', column: 'id', type: 'bigint' })).toBe('9223372036854775807');
    expect(parseTenantId('3F2A6C1E-8D0B-4B8E-9A57-2F9E1C0D7A11', { table: 't', column: 'id', type: 'uuid' })).toBe(
      '3f2a6c1e-8d0b-4b8e-9a57-2f9e1c0d7a11',
    );
    expect(parseTenantId('acme-clinic', { table: 't', column: 'slug', type: 'string', length: 20 })).toBe('acme-clinic');
    for (const [raw, type] of [
      ['1 OR 1=1', 'integer'],
      ['3;DROP TABLE x', 'integer'],
      ['2147483648', 'integer'],
      ['x', 'uuid'],
      ["a' OR 'a'='a", 'string'],
      ['../etc', 'string'],
    ]) {
      expect(() => parseTenantId(raw, { table: 't', column: 'id', type })).toThrow(InvalidTenantIdError);
    }
  });
});
