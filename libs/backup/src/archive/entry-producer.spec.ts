import { StreamsAhead } from './entry-producer';

/** A turn the test gives by hand, as the writer does when it reaches an entry. */
function turn(): { promise: Promise<void>; give: () => void } {
  let give!: () => void;
  const promise = new Promise<void>((resolve) => (give = resolve));
  return { promise, give };
}

const settledSoon = async <T>(p: Promise<T>): Promise<T | 'pending'> =>
  Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), 20))]);

describe('StreamsAhead (files found large when opened, streaming before their turn)', () => {
  it('lets `max` start ahead at once; the next starts when one leaves, or at its own turn', async () => {
    const ahead = new StreamsAhead(2);
    const [a, b, c, d] = [turn(), turn(), turn(), turn()];
    const leaveA = await ahead.enter(a.promise);
    const leaveB = await ahead.enter(b.promise);
    const third = ahead.enter(c.promise);
    const fourth = ahead.enter(d.promise);
    expect(await settledSoon(third)).toBe('pending');

    leaveA();
    leaveA(); // twice: gives back one place, not two
    const leaveC = await third;
    expect(await settledSoon(fourth)).toBe('pending');

    // Its turn comes before a place does: it starts without a place (nothing to give back).
    d.give();
    const leaveD = await fourth;
    leaveD();
    // The places are still two taken (b, c): a fifth waits.
    const fifth = ahead.enter(turn().promise);
    expect(await settledSoon(fifth)).toBe('pending');
    leaveB();
    expect(typeof (await fifth)).toBe('function');
    leaveC();
  });

  it('with no place ahead at all (look-ahead 0), each waits for its turn', async () => {
    const ahead = new StreamsAhead(0);
    const t = turn();
    const entered = ahead.enter(t.promise);
    expect(await settledSoon(entered)).toBe('pending');
    t.give();
    expect(typeof (await entered)).toBe('function');
  });
});
