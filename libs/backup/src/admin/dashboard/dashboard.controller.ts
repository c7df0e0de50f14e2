import { Get, Header, Inject } from '@nestjs/common';
import { BACKUP_OPTIONS } from '../../config/backup-options.token';
import { BackupModuleOptions } from '../../config/backup-options.interface';
import { ADMIN_OPTIONS } from '../admin.constants';
import { adminOpenApiDocument } from '../openapi.document';
import { dashboardPage } from './dashboard.page';

/**
 * The dashboard page and the OpenAPI document, at the admin prefix. Neither holds data or a
 * secret, so they are served without the token: the page asks for it and sends it to the API.
 */
export class DashboardController {
  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    @Inject(ADMIN_OPTIONS) private readonly admin: { path: string },
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return dashboardPage(this.options.appName);
  }

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return adminOpenApiDocument(this.admin.path, libraryVersion());
  }
}

function libraryVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
