// `require('nest-backup/nest-commander')`: the library's commands for nest-commander's
// CommandFactory, kept out of the main entry point so only a CLI process loads nest-commander
// (an optional peer).
module.exports = require('./dist/cli/nest-commander/backup-commands.module');
