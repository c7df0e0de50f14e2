import { Clinic } from './clinic.entity';
import { Queue } from './queue.entity';
import { SubQueue } from './sub-queue.entity';
import { Tenant } from './tenant.entity';
import { User } from './user.entity';

export { Clinic, Queue, SubQueue, Tenant, User };
export const DEMO_ENTITIES = [Tenant, User, Clinic, Queue, SubQueue];
