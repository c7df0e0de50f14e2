import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DumpGuard, GuardMark } from '../dump-guard';
import { codeOf, notePlainTable, ParallelPgLoad, splitConstraintIndex, statementKind } from './pg-parallel.load';
import { ClientSession } from './client.session';
import { FakeSession } from './client-session.test-fixtures';

const ROWS = 30_000;
const row = (i: number) => `${i}\t${'x'.repeat(250)}\t${i % 7}`;
const DUMP = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '\\restrict AbC123',
  "SET client_encoding = 'UTF8';",
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'CREATE FUNCTION public.f() RETURNS text LANGUAGE plpgsql AS $_$',
  'BEGIN',
  "  RETURN 'a;b';",
  'END $_$;',
  'CREATE TABLE public.big (',
  '    id integer NOT NULL,',
  '    note text,',
  '    k integer',
  ');',
  'CREATE TABLE public.parent (',
  '    id integer NOT NULL',
  ')',
  'PARTITION BY RANGE (id);',
  'CREATE TABLE public.child (',
  '    id integer NOT NULL',
  ');',
  'ALTER TABLE ONLY public.parent ATTACH PARTITION public.child FOR VALUES FROM (0) TO (10);',
  'COPY public.big (id, note, k) FROM stdin;',
  ...Array.from({ length: ROWS }, (_, i) => row(i)),
  '\\.',
  '',
  'COPY public.child (id) FROM stdin;',
  '\\.',
  '',
  "SELECT pg_catalog.setval('public.s', 42, true);",
  '--',
  '-- Name: big big_pkey; Type: CONSTRAINT',
  '--',
  'ALTER TABLE ONLY public.big',
  '    ADD CONSTRAINT big_pkey PRIMARY KEY (id);',
  'ALTER TABLE ONLY public.child',
  '    ADD CONSTRAINT child_pkey PRIMARY KEY (id);',
  'CREATE INDEX big_k ON public.big USING btree (k);',
  "COMMENT ON INDEX public.big_k IS 'k; not a statement end';",
  'CREATE INDEX big_note ON public.big USING btree (note);',
  'ALTER TABLE ONLY public.big',
  '    ADD CONSTRAINT big_k_fkey FOREIGN KEY (k) REFERENCES public.big(id);',
  '\\unrestrict AbC123',
  '',
].join('\n');

async function load(sessions: number, chunk = 4096) {
  const order: string[] = [];
  const fakes = Array.from({ length: sessions }, (_, i) => new FakeSession(`s${i}`, order));
  const sink = new ParallelPgLoad(fakes as unknown as ClientSession[]);
  const bytes = Buffer.from(DUMP);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  await pipeline(Readable.from(chunks), new DumpGuard('psql', sink.onMark), sink);
  return { fakes, order, counts: sink.rowCounts() };
}

describe('DumpGuard marks', () => {
  it('marks statement ends, COPY headers and COPY ends only where psql would see them', async () => {
    const marks: GuardMark[] = [];
    const dump = ['SET a = 1;', 'CREATE FUNCTION f() AS $$', 'x;', '$$;', 'COPY t (a) FROM stdin;', '1;', '\\.', "SELECT ';';", ''].join(
      '\n',
    );
    let out = '';
    const g = new DumpGuard('psql', (m) => marks.push(m));
    g.on('data', (c: Buffer) => (out += c));
    const bytes = Buffer.from(dump);
    await pipeline(Readable.from([bytes.subarray(0, 5), bytes.subarray(5, 31), bytes.subarray(31)]), g);
    const cuts = marks.map((m) => `${m.kind}@${JSON.stringify(out.slice(0, m.offset).split('\n').slice(-2)[0])}`);
    expect(cuts).toEqual([
      'statement@"SET a = 1;"',
      'statement@"$$;"',
      'copy-header@"COPY t (a) FROM stdin;"',
      'copy-end@"\\\\."',
      'statement@"SELECT \';\';"',
    ]);
  });
});

describe('statementKind and splitConstraintIndex', () => {
  const plain = new Set(['public.t']);
  it('lets indexes and plain primary-key / unique constraints run side by side, nothing else', () => {
    expect(statementKind('CREATE INDEX i ON public.t USING btree (a);')).toBe('index');
    expect(statementKind('CREATE UNIQUE INDEX i ON public.t USING btree (a);')).toBe('index');
    expect(statementKind('ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);')).toBe('index');
    expect(statementKind('ALTER TABLE ONLY public.t ADD CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES public.u(id);')).toBe('other');
    expect(statementKind("COMMENT ON INDEX public.i IS 'CREATE INDEX';")).toBe('other');
    expect(statementKind('ALTER INDEX public.p_pkey ATTACH PARTITION public.c_pkey;')).toBe('other');
    expect(statementKind("SELECT pg_catalog.setval('public.s', 1, true);")).toBe('sequence-value');
    expect(statementKind("SET default_tablespace = '';")).toBe('setting');
  });

  it("builds a plain table's constraint index first, and keeps every other form as it is", () => {
    expect(splitConstraintIndex('ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id, "Odd Name");', plain)).toBe(
      'CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id, "Odd Name");\nALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_pkey;\n',
    );
    expect(splitConstraintIndex('ALTER TABLE ONLY public.t ADD CONSTRAINT t_a UNIQUE (a);', plain)).toMatch(
      /^CREATE UNIQUE INDEX t_a ON public\.t .*\n.* UNIQUE USING INDEX t_a;/,
    );
    for (const kept of [
      'ALTER TABLE ONLY public.t ADD CONSTRAINT t_a UNIQUE (a) DEFERRABLE;',
      'ALTER TABLE ONLY public.t ADD CONSTRAINT t_a UNIQUE NULLS NOT DISTINCT (a);',
      'ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id) INCLUDE (a);',
      'ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id) WITH (fillfactor=50);',
      'ALTER TABLE ONLY public.p ADD CONSTRAINT p_pkey PRIMARY KEY (id);',
    ]) {
      expect(splitConstraintIndex(kept, plain)).toBeUndefined();
    }
  });

  it("reads a wide table's whole CREATE TABLE: PARTITION BY or INHERITS after 4,000 characters still keeps it from the split", () => {
    const columns = Array.from({ length: 300 }, (_, i) => `    column_number_${i} integer`).join(',\n');
    const wide = (tail: string) => `--\n-- Name: w; Type: TABLE\n--\n\nCREATE TABLE public.w (\n${columns}\n)${tail};\n`;
    expect(wide('').length).toBeGreaterThan(8000);
    for (const [tail, isPlain] of [
      ['', true],
      ['\nPARTITION BY RANGE (column_number_0)', false],
      ['\nINHERITS (public.base)', false],
    ] as const) {
      const tables = new Set<string>();
      const text = wide(tail);
      notePlainTable(text, codeOf(text)!, tables);
      expect(tables.has('public.w')).toBe(isPlain);
      const split = splitConstraintIndex('ALTER TABLE ONLY public.w ADD CONSTRAINT w_pkey PRIMARY KEY (column_number_0);', tables);
      expect(split === undefined).toBe(!isPlain);
    }
  });
});

describe('ParallelPgLoad', () => {
  it("runs the schema on the first session, spreads one table's rows over all, then builds indexes side by side", async () => {
    const { fakes, order, counts } = await load(3);
    expect(counts).toEqual({ big: ROWS, child: 0 });
    // The schema went to the first session, whole and in order, before any COPY.
    const firstCopy = order.findIndex((l) => l.includes('COPY public.big'));
    const schema = order.slice(0, firstCopy).join('\n');
    expect(schema).not.toMatch(/^s[12]: /m);
    expect(schema).toMatch(/SET client_encoding[\s\S]*CREATE FUNCTION[\s\S]*CREATE TABLE public\.big[\s\S]*ATTACH PARTITION/);
    // Every session took pieces of "big", each a COPY of its own ended by `\.`, after the settings.
    const rows: string[] = [];
    for (const f of fakes) {
      const pieces = f.received.filter((t) => t.includes('COPY public.big'));
      expect(pieces.length).toBeGreaterThan(0);
      const first = f.received.findIndex((t) => t.includes('COPY public.big'));
      if (f.name !== 's0')
        expect(f.received[first]).toMatch(/SET client_encoding = 'UTF8';\nSELECT pg_catalog\.set_config[^\n]*\nCOPY public\.big/);
      for (const p of pieces) {
        const body = /COPY public\.big \(id, note, k\) FROM stdin;\n([\s\S]*)\\\.\n$/.exec(p);
        expect(body).not.toBeNull();
        rows.push(...body![1].split('\n').slice(0, -1));
      }
    }
    expect(rows.sort()).toEqual(Array.from({ length: ROWS }, (_, i) => row(i)).sort());
    // Indexes start only once every piece is done; the primary key of the plain table is built
    // as a unique index; the partition's stays as pg_dump wrote it; FK and comment come after.
    const lastPiece = Math.max(...order.map((l, i) => (/done \\\.$/.test(l) ? i : -1)));
    const firstIndex = order.findIndex((l) => /CREATE (UNIQUE )?INDEX/.test(l));
    expect(firstIndex).toBeGreaterThan(lastPiece);
    const all = fakes.flatMap((f) => f.received).join('');
    expect(all).toContain(
      'CREATE UNIQUE INDEX big_pkey ON public.big USING btree (id);\nALTER TABLE ONLY public.big ADD CONSTRAINT big_pkey PRIMARY KEY USING INDEX big_pkey;',
    );
    expect(all).toContain('ALTER TABLE ONLY public.child\n    ADD CONSTRAINT child_pkey PRIMARY KEY (id);');
    const fk = order.findIndex((l) => l.includes('FOREIGN KEY'));
    expect(order[fk]).toMatch(/^s0: /);
    expect(fk).toBeGreaterThan(order.findIndex((l) => /done CREATE INDEX big_note/.test(l)));
    expect(fakes[0].received.join('')).toMatch(/COMMENT ON INDEX public\.big_k IS 'k; not a statement end';[\s\S]*FOREIGN KEY/);
    expect(all).not.toMatch(/restrict/);
  });

  it('counts nothing it cannot trust: a session that acknowledges fewer rows makes rowCounts undefined', async () => {
    const order: string[] = [];
    const fakes = [new FakeSession('s0', order), new FakeSession('s1', order)];
    const run = fakes[1].run.bind(fakes[1]);
    fakes[1].run = async (parts, bytes) => (await run(parts, bytes)).map((n) => Math.max(0, n - 1));
    const sink = new ParallelPgLoad(fakes as unknown as ClientSession[]);
    await pipeline(Readable.from([Buffer.from(DUMP)]), new DumpGuard('psql', sink.onMark), sink);
    expect(fakes[1].received.some((t) => t.includes('COPY public.big'))).toBe(true);
    expect(sink.rowCounts()).toBeUndefined();
  });
});
