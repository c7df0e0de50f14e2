import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { checkSqliteStatement, DumpClient, DumpGuard } from './dump-guard';
import { DumpRefusedError } from './source.errors';

/** Runs `dump` through a guard in chunks of `size` bytes; what came out, or the error. */
async function guard(client: DumpClient, dump: string, size = 7): Promise<{ out: string; error?: Error }> {
  const bytes = Buffer.from(dump);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const g = new DumpGuard(client);
  let out = '';
  g.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await text(Readable.from(chunks).pipe(g));
    return { out };
  } catch (error) {
    return { out, error: error as Error };
  }
}

describe('DumpGuard (psql)', () => {
  it('lets a pg_dump through, COPY data lines that start with a backslash included, and blanks \\restrict', async () => {
    const dump = [
      '--',
      '\\restrict AbC123',
      'SET standard_conforming_strings = on;',
      'CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $_$',
      'BEGIN',
      "  RETURN E'\\\\! not a command' || '\\ also not';",
      'END $_$;',
      '/* a /* nested */ comment \\! */',
      'COPY public.t (a, b) FROM stdin;',
      '1\t\\\\! data',
      '\\N\t\\.x',
      '\\.',
      'SELECT \'it\'\'s\', "q""\\";',
      '\\unrestrict AbC123',
      '',
    ].join('\n');
    for (const size of [1, 7, 4096]) {
      const { out, error } = await guard('psql', dump, size);
      expect(error).toBeUndefined();
      expect(out).toBe(dump.replace('\\restrict AbC123', '').replace('\\unrestrict AbC123', ''));
    }
  });

  it.each([
    ['\\! touch /tmp/x', '\\!', 2],
    ['SELECT 1; \\o /tmp/out', '\\o', 2],
    ["\\copy t to program 'sh'", '\\copy', 2],
    ['\\i /etc/passwd', '\\i', 2],
    ['SELECT 1 \\gexec', '\\gexec', 2],
    ['\\restrict abc\n\\! ls', '\\!', 3],
  ])('refuses %j, naming %s and line %i, and passes nothing of that line', async (line, command, at) => {
    const { out, error } = await guard('psql', `SELECT 1;\n${line}\nSELECT 2;\n`);
    expect(error).toBeInstanceOf(DumpRefusedError);
    expect(error!.message).toContain(`psql meta-command \`${command}\` at line ${at}`);
    expect(out).not.toContain(command);
  });

  it("refuses a COPY that is not pg_dump's one-line COPY ... FROM stdin (a server file, a program)", async () => {
    for (const copy of ["COPY t FROM PROGRAM 'touch /tmp/x';", 'copy t from stdin;', 'COPY t FROM stdin; SELECT 1;']) {
      const { error } = await guard('psql', `${copy}\n1\n\\.\n`);
      expect(error?.message).toMatch(/COPY statement other than pg_dump's/);
    }
  });

  it('reads a backslash at a line start after the COPY block ended as a meta-command', async () => {
    const { error } = await guard('psql', 'COPY public.t (a) FROM stdin;\n\\! in data\n\\.\n\\! after\n');
    expect(error?.message).toContain('`\\!` at line 4');
  });
});

describe('DumpGuard (mariadb)', () => {
  it("lets mariadb-dump's output through: the sandbox line, DELIMITER ;; for triggers, \\ in strings", async () => {
    const dump = [
      '/*M!999999\\- enable the sandbox mode */ ',
      '/*!40101 SET NAMES utf8mb4 */;',
      'INSERT INTO `t` VALUES (1,\'x\\\\! y\\\' system\'),(2,"\\"");',
      'DELIMITER ;;',
      '/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET new.a = new.a + 1; */;;',
      'DELIMITER ;',
      '-- system in a comment',
      '# \\! in a comment',
      '',
    ].join('\n');
    const { out, error } = await guard('mariadb', dump, 5);
    expect(error).toBeUndefined();
    expect(out).toBe(dump);
  });

  it.each([
    ['system touch /tmp/x', '`system`'],
    ['  SOURCE /etc/passwd', '`source`'],
    ['\\! touch /tmp/x', '`\\!`'],
    ['SELECT 1; \\. /etc/passwd', '`\\.`'],
    ['tee /tmp/out', '`tee`'],
    ['pager sh', '`pager`'],
    ['DELIMITER //', '`DELIMITER //`'],
  ])('refuses %j', async (line, command) => {
    const { out, error } = await guard('mariadb', `SELECT 1;\n${line}\nSELECT 2;\n`);
    expect(error).toBeInstanceOf(DumpRefusedError);
    expect(error!.message).toContain(`mariadb client command ${command} at line 2`);
    expect('SELECT 1;\n'.startsWith(out)).toBe(true);
  });
});

describe('DumpGuard (mariadb) on long INSERT lines', () => {
  it('reads strings with thousands of escapes and lines of many tuples to their end', async () => {
    const escapes = "\\\\\\'".repeat(3000); // 6,000 escapes (\\ and \'), past the regex's bound of 256: still inside the string
    const tuples = Array(5000).fill('(1,\'a;b\\\'c\',"d\\"e",-2)').join(',');
    const dump = `INSERT INTO t VALUES ('${escapes}'),${tuples};\nsystem touch /tmp/x\n`;
    const { error } = await guard('mariadb', dump, 65536);
    expect(error?.message).toContain('mariadb client command `system` at line 2');
    const { error: none } = await guard('mariadb', `INSERT INTO t VALUES ('${escapes}; system x'),${tuples};\n`, 65536);
    expect(none).toBeUndefined();
  });
});

describe('checkSqliteStatement', () => {
  it.each([
    ["\nATTACH DATABASE '/tmp/x.db' AS x;", /SQLite `ATTACH` statement at line 2/],
    ["VACUUM INTO '/tmp/copy.db';", /`VACUUM INTO`/],
    ['.shell touch /tmp/x\nCREATE TABLE t(a);', /dot-command `.shell` at line 1/],
    ['SELECT "load_extension"(\'/tmp/x.so\');', /load_extension/],
    ['/* c */ -- c\n  detach x;', /`DETACH` statement at line 2/],
  ])('refuses %j', (statement, message) => {
    expect(() => checkSqliteStatement(statement, 1)).toThrow(message);
  });

  it('lets the words through inside strings and comments', () => {
    for (const s of [
      "INSERT INTO t VALUES('ATTACH load_extension VACUUM');",
      "-- ATTACH\nINSERT INTO t VALUES('.x');",
      'CREATE TABLE "attach"(a);',
    ]) {
      expect(() => checkSqliteStatement(s, 1)).not.toThrow();
    }
  });
});
