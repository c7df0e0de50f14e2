import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClientSession } from './client.session';
import { FakeSession } from './client-session.test-fixtures';
import { DumpGuard } from '../dump-guard';
import { deferPlainKeys, ParallelMysqlLoad } from './mysql-parallel.load';

const create = (definitions: string[], tail = ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;') =>
  ['--', '-- Table structure for table `t`', '--', '', 'CREATE TABLE `t` (', definitions.join(',\n'), tail].join('\n');

describe('deferPlainKeys', () => {
  it('takes the plain secondary keys out of an InnoDB table and builds them in one ALTER after the rows', () => {
    const out = deferPlainKeys(
      create([
        '  `id` bigint(20) NOT NULL AUTO_INCREMENT',
        '  `a` int(11) NOT NULL',
        '  `b` varchar(40) DEFAULT NULL',
        '  PRIMARY KEY (`id`)',
        '  UNIQUE KEY `u_b` (`b`)',
        '  KEY `k_ab` (`a`,`b`(10))',
        "  KEY `k_b` (`b`) USING BTREE COMMENT 'by b'",
      ]),
    );
    expect(out).toBeDefined();
    expect(out!.create).toBe(
      create([
        '  `id` bigint(20) NOT NULL AUTO_INCREMENT',
        '  `a` int(11) NOT NULL',
        '  `b` varchar(40) DEFAULT NULL',
        '  PRIMARY KEY (`id`)',
        '  UNIQUE KEY `u_b` (`b`)',
      ]),
    );
    expect(out!.addKeys).toBe("ALTER TABLE `t` ADD KEY `k_ab` (`a`,`b`(10)), ADD KEY `k_b` (`b`) USING BTREE COMMENT 'by b';\n");
  });

  it('leaves a table as it is where deferring could change or break it', () => {
    const keyed = ['  `id` int(11) NOT NULL', '  `p` int(11) DEFAULT NULL', '  PRIMARY KEY (`id`)', '  KEY `k_p` (`p`)'];
    // A foreign key needs its index (InnoDB would make one of its own).
    expect(deferPlainKeys(create([...keyed, '  CONSTRAINT `fk` FOREIGN KEY (`p`) REFERENCES `u` (`id`)']))).toBeUndefined();
    // Not InnoDB, or partitioned.
    expect(deferPlainKeys(create(keyed, ') ENGINE=MyISAM DEFAULT CHARSET=utf8mb4;'))).toBeUndefined();
    expect(
      deferPlainKeys(create(keyed, ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4\n PARTITION BY HASH (`id`)\nPARTITIONS 4;')),
    ).toBeUndefined();
    // An AUTO_INCREMENT column must stay indexed: the key it leads stays.
    expect(
      deferPlainKeys(
        create(['  `id` int(11) NOT NULL AUTO_INCREMENT', '  `x` int(11) NOT NULL', '  PRIMARY KEY (`x`)', '  KEY `k_id` (`id`)']),
      ),
    ).toBeUndefined();
    // Only unique, full-text or spatial keys: nothing to defer.
    expect(
      deferPlainKeys(create(['  `id` int(11) NOT NULL', '  `b` text', '  PRIMARY KEY (`id`)', '  FULLTEXT KEY `f` (`b`)'])),
    ).toBeUndefined();
    // Not a CREATE TABLE laid out as mariadb-dump writes it.
    expect(deferPlainKeys('CREATE TABLE t (id int primary key, p int, key k_p (p)) ENGINE=InnoDB;')).toBeUndefined();
  });
});

const row = (i: number) => `(${i},'${'x'.repeat(200)}',${i % 7})`;
const insert = (from: number, n: number) => `INSERT INTO \`big\` VALUES ${Array.from({ length: n }, (_, i) => row(from + i)).join(',')};`;
/** A mariadb-dump as it comes: header, a table with a plain key, ~5 MB of rows, a trigger, the footer. */
const DUMP = [
  '/*M!999999\\- enable the sandbox mode */ ',
  '-- MariaDB dump 10.19',
  '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
  '/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;',
  "/*!40103 SET TIME_ZONE='+00:00' */;",
  "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;",
  '',
  'DROP TABLE IF EXISTS `big`;',
  '/*!40101 SET @saved_cs_client     = @@character_set_client */;',
  '/*!40101 SET character_set_client = utf8mb4 */;',
  'CREATE TABLE `big` (',
  '  `id` int(11) NOT NULL,',
  '  `note` text NOT NULL,',
  '  `k` int(11) NOT NULL,',
  '  PRIMARY KEY (`id`),',
  '  KEY `big_k` (`k`)',
  ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;',
  '/*!40101 SET character_set_client = @saved_cs_client */;',
  'LOCK TABLES `big` WRITE;',
  '/*!40000 ALTER TABLE `big` DISABLE KEYS */;',
  ...Array.from({ length: 25 }, (_, i) => insert(i * 1000, 1000)),
  '/*!40000 ALTER TABLE `big` ENABLE KEYS */;',
  'UNLOCK TABLES;',
  'DELIMITER ;;',
  '/*!50003 CREATE*/ /*!50003 TRIGGER big_ai AFTER INSERT ON big FOR EACH ROW SET @n = 1 */;;',
  'DELIMITER ;',
  '/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;',
  '/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;',
  '-- Dump completed',
  '',
].join('\n');

describe('ParallelMysqlLoad', () => {
  async function load(sessions: number) {
    const order: string[] = [];
    const fakes = Array.from({ length: sessions }, (_, i) => new FakeSession(`s${i}`, order));
    const sink = new ParallelMysqlLoad(fakes as unknown as ClientSession[]);
    const bytes = Buffer.from(DUMP);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 64 * 1024) chunks.push(bytes.subarray(i, i + 64 * 1024));
    await pipeline(Readable.from(chunks), new DumpGuard('mariadb', sink.onMark), sink);
    return { fakes, order };
  }

  it('spreads the rows over the sessions, each first given the header settings, and keeps the rest in order on the first', async () => {
    const { fakes, order } = await load(2);
    const [first, second] = fakes.map((f) => f.received.join(''));
    // Every row arrives exactly once, over both sessions.
    const ids = (text: string) => [...text.matchAll(/\((\d+),'x/g)].map((m) => Number(m[1]));
    expect([...ids(first), ...ids(second)].sort((a, b) => a - b)).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
    expect(ids(second).length).toBeGreaterThan(0);
    // The second session had the header's settings before its first rows, not the footer's.
    expect(second.indexOf("SET TIME_ZONE='+00:00'")).toBeGreaterThanOrEqual(0);
    expect(second.indexOf("SET TIME_ZONE='+00:00'")).toBeLessThan(second.indexOf('INSERT INTO'));
    expect(second).toContain('NO_AUTO_VALUE_ON_ZERO');
    expect(second).not.toContain('@OLD_TIME_ZONE */;\n/*!40101 SET SQL_MODE=@OLD_SQL_MODE');
    expect(second).not.toContain('TIME_ZONE=@OLD_TIME_ZONE');
    expect(second).not.toMatch(/CREATE TABLE|TRIGGER|ADD KEY/);
    // No session takes a table lock the others would wait on.
    expect(first + second).not.toMatch(/LOCK TABLES/);
    // The table without its plain key, the rows, then the key, the trigger and the footer on the first.
    expect(first).toContain('  PRIMARY KEY (`id`)\n) ENGINE=InnoDB');
    const addKey = order.findIndex((o) => o.includes('ALTER TABLE `big` ADD KEY `big_k` (`k`);'));
    const lastRows = order.map((o, i) => (/: done INSERT/.test(o) ? i : -1)).reduce((a, b) => Math.max(a, b));
    expect(addKey).toBeGreaterThan(lastRows);
    expect(first.indexOf('ADD KEY')).toBeLessThan(first.indexOf('TRIGGER big_ai'));
    expect(first.indexOf('TRIGGER big_ai')).toBeLessThan(first.indexOf('TIME_ZONE=@OLD_TIME_ZONE'));
  });

  it('waits for the first session with the statement end it expects (a dump that ends inside `DELIMITER ;;`)', async () => {
    const cut = DUMP.slice(0, DUMP.indexOf('DELIMITER ;\n'));
    const fakes = [new FakeSession('s0', []), new FakeSession('s1', [])];
    const sink = new ParallelMysqlLoad(fakes as unknown as ClientSession[]);
    await pipeline(Readable.from([Buffer.from(cut)]), new DumpGuard('mariadb', sink.onMark), sink);
    // A `;` marker would sit unread in the client's `;;` statement and the load would never end.
    expect(fakes[0].delimiters.at(-1)).toBe(';;');
    expect(fakes[0].delimiters.slice(0, -1).every((d) => d === ';')).toBe(true);
  });
});
