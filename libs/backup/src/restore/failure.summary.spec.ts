import { failureSummary } from './failure.summary';

describe('failureSummary', () => {
  it('adds the ERROR line the mariadb client prints after echoing the failed statement', () => {
    const message =
      'mariadb failed to load database "shop_restore_0a1b2c3d" on 127.0.0.1:3306 (exited with code 1): --------------\n' +
      'THIS IS NOT SQL\n--------------\n\nERROR 1064 (42000) at line 40: You have an error in your SQL syntax\n  → Run the tool by hand';
    expect(failureSummary(message)).toBe(
      'mariadb failed to load database "shop_restore_0a1b2c3d" on 127.0.0.1:3306 (exited with code 1): ERROR 1064 (42000) at line 40: You have an error in your SQL syntax',
    );
  });

  it('keeps a first line that already says what went wrong, and drops the hint', () => {
    expect(failureSummary('psql failed: ERROR:  syntax error at or near "THIS"\nLINE 1: THIS\n  → Run it by hand')).toBe(
      'psql failed: ERROR:  syntax error at or near "THIS"',
    );
    expect(failureSummary('Could not write /srv/x: EACCES\n  → Check permissions')).toBe('Could not write /srv/x: EACCES');
  });
});
