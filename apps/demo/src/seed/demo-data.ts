/**
 * Deterministic demo rows: the same arguments always give the same data, with the values
 * that break naive dumps (quotes, backslashes, unicode, NULLs, newlines).
 */
export interface DemoRows {
  tenants: { id: number; name: string }[];
  users: { id: number; tenant_id: number; email: string; name: string | null }[];
  clinics: { id: number; tenant_id: number; name: string; address: string | null }[];
  queues: { id: number; tenant_id: number; clinic_id: number; name: string }[];
  sub_queues: { id: number; queue_id: number; name: string; position: number }[];
}

const AWKWARD = [`O'Brien`, 'back\\slash', 'Zoë Ünïcødé 医院', 'line\nbreak', 'tab\there', '"quoted"', '; DROP TABLE x; --'];

export function demoRows(tenantCount: number, rowsPerTenant: number): DemoRows {
  const rows: DemoRows = { tenants: [], users: [], clinics: [], queues: [], sub_queues: [] };
  let userId = 0,
    clinicId = 0,
    queueId = 0,
    subId = 0;
  for (let t = 1; t <= tenantCount; t++) {
    rows.tenants.push({ id: t, name: `Clinic group ${t} ${AWKWARD[t % AWKWARD.length]}` });
    for (let i = 0; i < rowsPerTenant; i++) {
      const awkward = AWKWARD[(t + i) % AWKWARD.length];
      rows.users.push({
        id: ++userId,
        tenant_id: t,
        email: `user${userId}@tenant${t}.example`,
        name: i % 5 === 0 ? null : `User ${awkward}`,
      });
      if (i % 2 === 0) {
        rows.clinics.push({
          id: ++clinicId,
          tenant_id: t,
          name: `Clinic ${clinicId} ${awkward}`,
          address: i % 4 === 0 ? null : `${i} Main St\nSuite ${t}`,
        });
        rows.queues.push({ id: ++queueId, tenant_id: t, clinic_id: clinicId, name: `Queue ${queueId}` });
        for (let s = 0; s < 2; s++) rows.sub_queues.push({ id: ++subId, queue_id: queueId, name: `Sub ${s} ${awkward}`, position: s });
      }
    }
  }
  return rows;
}
