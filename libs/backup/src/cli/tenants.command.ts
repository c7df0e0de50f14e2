import { Command, CommandRunner, Option } from './command.decorators';
import { describeScope } from '../tenant/scope/scope.explain';
import { TenantScopeService } from '../tenant/scope/tenant-scope.service';

interface TenantsFlags {
  explain?: boolean;
  json?: boolean;
}

/** `backup:tenants`: which tables hold a tenant's rows, and (--explain) why; unplaced tables are listed. */
@Command({ name: 'backup:tenants', description: 'List the tenant-scoped tables found in the entity metadata' })
export class TenantsCommand extends CommandRunner {
  constructor(private readonly scopes: TenantScopeService) {
    super();
  }

  async run(_params: string[], flags: TenantsFlags = {}): Promise<void> {
    const scope = await this.scopes.scope();
    process.stdout.write(flags.json ? JSON.stringify(scope, null, 2) + '\n' : describeScope(scope, !!flags.explain));
    if (scope.unplaced.length) process.exitCode = 2;
  }

  @Option({ flags: '--explain', description: 'Say why each table is scoped, shared or unplaced' })
  parseExplain(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'Print the scope as JSON' })
  parseJson(): boolean {
    return true;
  }
}
