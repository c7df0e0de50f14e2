import { ListingFormatError } from './listing.error';
import { displayWidth, renderTable } from './table.render';

describe('renderTable', () => {
  it('draws a box with columns as wide as their widest cell', () => {
    const out = renderTable(
      ['Name', 'Disk', '# of backups'],
      [
        ['my-app', 'local', 2000],
        ['my-app', 's3', 0],
      ],
    );
    expect(out).toBe(
      [
        '+--------+-------+--------------+',
        '| Name   | Disk  | # of backups |',
        '+--------+-------+--------------+',
        '| my-app | local | 2000         |',
        '| my-app | s3    | 0            |',
        '+--------+-------+--------------+',
      ].join('\n'),
    );
  });

  it('right-aligns columns on request, fills missing cells and flattens line breaks', () => {
    const out = renderTable(['Disk', 'Used'], [['s3', '1.5 MB'], ['local\nfast'], ['x', null]], { align: ['left', 'right'] });
    expect(out.split('\n')).toEqual([
      '+------------+--------+',
      '| Disk       |   Used |',
      '+------------+--------+',
      '| s3         | 1.5 MB |',
      '| local fast |        |',
      '| x          |        |',
      '+------------+--------+',
    ]);
  });

  it('counts emoji as two terminal columns so the borders line up', () => {
    const lines = renderTable(['Reachable', 'Healthy'], [['✅', '❌']]).split('\n');
    expect(lines[3]).toBe('| ✅        | ❌      |');
    expect(new Set(lines.map(displayWidth)).size).toBe(1);
  });

  it('shows only the header box when there are no rows', () => {
    expect(renderTable(['Name'], [])).toBe(['+------+', '| Name |', '+------+'].join('\n'));
  });

  it('rejects a row with more cells than headers', () => {
    expect(() => renderTable(['A'], [['1', '2']])).toThrow(ListingFormatError);
    expect(() => renderTable(['A'], [['1', '2']])).toThrow('Table row 1 has 2 cells but there are only 1 headers.');
  });
});

describe('displayWidth', () => {
  it('counts wide and zero-width characters', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('✅')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('日本')).toBe(4);
  });
});
