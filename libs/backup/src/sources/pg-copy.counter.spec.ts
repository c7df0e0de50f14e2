import { parseCopyHeader, PgCopyCounter } from './pg-copy.counter';

describe('PgCopyCounter', () => {
  it('counts COPY rows per table across chunk boundaries, empty tables included', async () => {
    const dump = [
      'CREATE TABLE public.users (id integer);',
      'COPY public.users (id, name) FROM stdin;',
      "1\tO\\'Brien\\nline",
      '2\t\\N',
      '3\t\\\\.',
      '\\.',
      'COPY public.empty (id) FROM stdin;',
      '\\.',
      'COPY billing."Odd ""Name""" (id) FROM stdin;',
      '1',
      '\\.',
      '',
    ].join('\n');
    for (const size of [1, 4, 4096]) {
      const counter = new PgCopyCounter();
      counter.resume();
      const bytes = Buffer.from(dump);
      for (let i = 0; i < bytes.length; i += size) counter.write(bytes.subarray(i, i + size));
      counter.end();
      await new Promise((r) => counter.on('end', r));
      expect(counter.tables()).toEqual({ users: 3, empty: 0, 'billing.Odd "Name"': 1 });
    }
  });

  it('reports the rows of a block that has not ended yet (a dump cut short)', () => {
    const counter = new PgCopyCounter();
    counter.resume();
    counter.write(Buffer.from('COPY public.t (a) FROM stdin;\n1\n2\n3\n\\.\nCOPY public.u (a) FROM stdin;\n1\n2\n'));
    expect(counter.tables()).toEqual({ t: 3, u: 2 });
    expect(counter.copyBlocks()).toEqual(['t', 'u']);
  });

  it('reads table names from COPY headers only', () => {
    expect(parseCopyHeader('COPY public.t (a) FROM stdin;')).toBe('t');
    expect(parseCopyHeader('COPY t (a) TO stdout;')).toBeUndefined();
    expect(parseCopyHeader('CREATE TABLE x')).toBeUndefined();
  });
});
