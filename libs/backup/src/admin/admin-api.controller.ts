import { Body, Get, HttpException, HttpStatus, Inject, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import { ADMIN_CALLER_KEY, ADMIN_JOB_QUEUE } from './admin.constants';
import { AdminStatus } from './admin-status.decorator';
import { AdminQueries, AuditQuery } from './admin.queries';
import { AdminJobQueue } from './jobs/admin-job-queue.interface';
import { parseJobKind, parseJobParams } from './jobs/admin-job.params';

/**
 * The admin API's routes, thin: each calls AdminQueries or the job queue. BackupAdminModule
 * mounts a subclass under the host's path, behind the access guard and the response interceptor.
 */
export class AdminApiController {
  constructor(
    private readonly queries: AdminQueries,
    @Inject(ADMIN_JOB_QUEUE) private readonly jobs: AdminJobQueue,
  ) {}

  @Get('backups')
  list() {
    return this.queries.list();
  }

  /** 200 when every monitored disk is healthy, 503 with the same report when not. */
  @Get('health')
  async health() {
    const report = await this.queries.health();
    if (!report.healthy) throw new HttpException(report, HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }

  @Get('report')
  report(@Query('since') since?: string) {
    return this.queries.report(since);
  }

  @Get('audit')
  audit(@Query() query: AuditQuery) {
    return this.queries.audit(query);
  }

  @Get('jobs')
  listJobs() {
    return this.jobs.list();
  }

  @Get('jobs/:id')
  async job(@Param('id') id: string) {
    const job = await this.jobs.get(id);
    if (!job)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `No job ${id}`,
        hint: 'Finished jobs are kept for a while: in memory for the life of the process (the last 100), or in Redis with BACKUP_QUEUE_REDIS_URL (the last 1000).',
      });
    return job;
  }

  /** 202: the job runs on; GET jobs/<id> follows it. */
  @Post('jobs/:kind')
  @AdminStatus(HttpStatus.ACCEPTED)
  startJob(@Param('kind') kind: string, @Body() body: unknown, @Req() request: Record<string, unknown>) {
    const jobKind = parseJobKind(kind);
    return this.jobs.enqueue({ kind: jobKind, params: parseJobParams(jobKind, body), caller: String(request[ADMIN_CALLER_KEY]) });
  }

  @Get('restore-plan')
  restorePlan(@Query() query: Record<string, unknown>) {
    return this.queries.restorePlan(query);
  }

  @Post('restore-plan')
  @AdminStatus(HttpStatus.OK)
  restorePlanFromBody(@Body() body: Record<string, unknown>) {
    return this.queries.restorePlan(body ?? {});
  }
}
