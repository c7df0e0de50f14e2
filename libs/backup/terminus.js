// `require('nest-backup/terminus')`: the @nestjs/terminus health indicator, kept out of the main
// entry point so hosts without @nestjs/terminus (an optional peer) can load the library.
module.exports = require('./dist/health/backup.health-indicator');
