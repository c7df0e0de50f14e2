import { Controller, Get, Param, ParseIntPipe } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clinic, Tenant } from '../entities';

/** A sliver of the SaaS the backups protect: tenants and their clinics. */
@Controller('tenants')
export class TenantsController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get()
  list(): Promise<Tenant[]> {
    return this.db.getRepository(Tenant).find({ order: { id: 'ASC' } });
  }

  @Get(':id/clinics')
  clinics(@Param('id', ParseIntPipe) id: number): Promise<Clinic[]> {
    return this.db.getRepository(Clinic).find({ where: { tenantId: id }, order: { id: 'ASC' } });
  }
}
