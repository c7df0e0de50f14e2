import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Queue } from './queue.entity';

/** No tenant column of its own: it belongs to a tenant through its queue. */
@Entity('sub_queues')
export class SubQueue {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index()
  @Column({ name: 'queue_id' })
  queueId!: number;

  @ManyToOne(() => Queue, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'queue_id' })
  queue?: Queue;

  @Column({ length: 190 })
  name!: string;

  @Column({ type: 'int' })
  position!: number;
}
