import { SqliteStatementSplitter } from './sqlite-statement.splitter';

function split(sql: string, size: number): string[] {
  const s = new SqliteStatementSplitter();
  const out: string[] = [];
  for (let i = 0; i < sql.length; i += size) out.push(...s.push(sql.slice(i, i + size)));
  expect(s.rest().trim()).toBe('');
  return out.map((x) => x.trim());
}

describe('SqliteStatementSplitter', () => {
  const sql = [
    "INSERT INTO t VALUES('a;b','it''s;');",
    '-- a comment; with semicolon',
    'CREATE TABLE "x;y" (a);',
    '/* block; comment */ SELECT [col;umn] FROM `q;`;',
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('x;'); UPDATE t SET a = 1; END;",
    'COMMIT;',
  ].join('\n');

  it.each([1, 2, 3, 1000])('splits on statement ends only (chunks of %i)', (size) => {
    expect(split(sql, size)).toEqual([
      "INSERT INTO t VALUES('a;b','it''s;');",
      '-- a comment; with semicolon\nCREATE TABLE "x;y" (a);',
      '/* block; comment */ SELECT [col;umn] FROM `q;`;',
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('x;'); UPDATE t SET a = 1; END;",
      'COMMIT;',
    ]);
  });
});
