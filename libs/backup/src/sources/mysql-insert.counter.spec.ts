import { MysqlInsertCounter } from './mysql-insert.counter';

async function count(text: string, chunkSize = 7): Promise<Record<string, number>> {
  const counter = new MysqlInsertCounter();
  const out: Buffer[] = [];
  counter.on('data', (c) => out.push(c));
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) counter.write(bytes.subarray(i, i + chunkSize));
  counter.end();
  await new Promise((r) => counter.on('end', r));
  expect(Buffer.concat(out).toString()).toBe(text); // passes the dump through unchanged
  return counter.tables();
}

describe('MysqlInsertCounter', () => {
  it('counts one-line extended inserts (mysqldump) and ignores parentheses in strings', async () => {
    const dump = [
      'CREATE TABLE `a` (',
      '  `id` int',
      ');',
      "INSERT INTO `a` VALUES (1,'x(y'),(2,'it\\'s (\\\\'),(3,NULL);",
      'INSERT INTO `a` VALUES (4,0x2829);',
      'CREATE TABLE `empty` (',
      ');',
      '/*!50001 CREATE TABLE `view_standin` (*/;',
      '',
    ].join('\n');
    for (const size of [1, 5, 1000]) expect(await count(dump, size)).toEqual({ a: 4, empty: 0 });
  });

  it('counts row-per-line inserts (mariadb-dump 10.11) with newlines inside values', async () => {
    const dump = [
      'CREATE TABLE `we``ird` (',
      ');',
      'INSERT INTO `we``ird` VALUES',
      "(1,'a\\nb'),",
      "(2,'line\nbreak;(')",
      ',(3,"q")',
      ';',
      'UNLOCK TABLES;',
      '',
    ].join('\n');
    expect(await count(dump, 3)).toEqual({ 'we`ird': 3 });
  });
});
