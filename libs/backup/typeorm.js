// `require('nest-backup/typeorm')`: the audit table for TypeORM hosts (an EntitySchema and a
// migration), kept out of the main entry point so its declarations compile without typeorm (an
// optional peer).
module.exports = { ...require('./dist/audit/audit-log.schema'), ...require('./dist/audit/audit-log.migration') };
