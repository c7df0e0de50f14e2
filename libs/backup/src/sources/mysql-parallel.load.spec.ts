import { deferPlainKeys } from './mysql-parallel.load';

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
      create(['  `id` bigint(20) NOT NULL AUTO_INCREMENT', '  `a` int(11) NOT NULL', '  `b` varchar(40) DEFAULT NULL', '  PRIMARY KEY (`id`)', '  UNIQUE KEY `u_b` (`b`)']),
    );
    expect(out!.addKeys).toBe("ALTER TABLE `t` ADD KEY `k_ab` (`a`,`b`(10)), ADD KEY `k_b` (`b`) USING BTREE COMMENT 'by b';\n");
  });

  it('leaves a table as it is where deferring could change or break it', () => {
    const keyed = ['  `id` int(11) NOT NULL', '  `p` int(11) DEFAULT NULL', '  PRIMARY KEY (`id`)', '  KEY `k_p` (`p`)'];
    // A foreign key needs its index (InnoDB would make one of its own).
    expect(deferPlainKeys(create([...keyed, '  CONSTRAINT `fk` FOREIGN KEY (`p`) REFERENCES `u` (`id`)']))).toBeUndefined();
    // Not InnoDB, or partitioned.
    expect(deferPlainKeys(create(keyed, ') ENGINE=MyISAM DEFAULT CHARSET=utf8mb4;'))).toBeUndefined();
    expect(deferPlainKeys(create(keyed, ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4\n PARTITION BY HASH (`id`)\nPARTITIONS 4;'))).toBeUndefined();
    // An AUTO_INCREMENT column must stay indexed: the key it leads stays.
    expect(deferPlainKeys(create(['  `id` int(11) NOT NULL AUTO_INCREMENT', '  `x` int(11) NOT NULL', '  PRIMARY KEY (`x`)', '  KEY `k_id` (`id`)']))).toBeUndefined();
    // Only unique, full-text or spatial keys: nothing to defer.
    expect(deferPlainKeys(create(['  `id` int(11) NOT NULL', '  `b` text', '  PRIMARY KEY (`id`)', '  FULLTEXT KEY `f` (`b`)']))).toBeUndefined();
    // Not a CREATE TABLE laid out as mariadb-dump writes it.
    expect(deferPlainKeys('CREATE TABLE t (id int primary key, p int, key k_p (p)) ENGINE=InnoDB;')).toBeUndefined();
  });
});
