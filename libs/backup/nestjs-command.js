// `require('nest-backup/nestjs-command')`: the library's commands through nestjs-command (yargs),
// kept out of the main entry point so only a host that runs them loads nestjs-command and yargs
// (optional peers).
module.exports = require('./dist/cli/nestjs-command/nestjs-command.bridge');
