import type { ProxyEvent, ProxyEventOf } from '@stratum-relay/shared-types';
import { EventExpiredError } from '../src/errors';
import { ProxyEventBus } from '../src/event-bus';
import { StratumParser } from '../src/stratum-parser';

// While every listener borrows (ProxyEventBus.subscribe with borrowsEvents), the parser lends one
// reused event object per kind and decodes params, result and error only when read; with any
// listener that keeps events, each event is a fresh plain object, as before.

const SUBMIT = '{"id":4,"method":"mining.submit","params":["w.1","6a5f","0000abcd","6553f2a1","1234abcd"]}\n';
const ANSWER = '{"id":4,"result":true,"error":null}\n';
const REJECT = '{"id":5,"result":null,"error":[23,"Low difficulty share",null]}\n';

function parserOn(bus: ProxyEventBus): StratumParser {
  return new StratumParser({ connectionId: 9, direction: 'miner_to_pool', maxLineBytes: 4096, bus });
}

describe('events lent to borrowing listeners', () => {
  it('are one reused object per kind, with the values of the line being delivered', () => {
    const bus = new ProxyEventBus();
    const objects: ProxyEvent[] = [];
    const seen: unknown[] = [];
    bus.subscribe(
      (e) => {
        objects.push(e);
        if (e.type === 'stratum.request') seen.push([e.id, e.method, e.params[2]]);
        if (e.type === 'stratum.response') seen.push([e.id, e.result, e.error]);
      },
      { borrowsEvents: true },
    );
    parserOn(bus).push(Buffer.from(SUBMIT + ANSWER + SUBMIT.replace('"id":4', '"id":5').replace('0000abcd', '0000abce') + REJECT));
    expect(seen).toEqual([
      [4, 'mining.submit', '0000abcd'],
      [4, true, null],
      [5, 'mining.submit', '0000abce'],
      [5, null, [23, 'Low difficulty share', null]],
    ]);
    expect(objects[0]).toBe(objects[2]);
    expect(objects[1]).toBe(objects[3]);
  });

  it('throw a coded error when read after the listener call returned, instead of showing another line', () => {
    const bus = new ProxyEventBus();
    let kept: ProxyEventOf<'stratum.request'> | null = null;
    bus.subscribe(
      (e) => {
        if (e.type === 'stratum.request') kept = e;
      },
      { borrowsEvents: true },
    );
    parserOn(bus).push(Buffer.from(SUBMIT));
    const late = kept as unknown as ProxyEventOf<'stratum.request'>;
    expect(() => late.params).toThrow(EventExpiredError);
    try {
      void late.params;
    } catch (err) {
      expect((err as EventExpiredError).code).toBe('SRL_ERR_EVENT_EXPIRED');
    }
  });

  it('decode nothing of a submit or an answer whose params nobody reads', () => {
    const bus = new ProxyEventBus();
    let ids = 0;
    bus.subscribe(
      (e) => {
        if (e.type === 'stratum.request' && e.method === 'mining.submit') ids += e.id as number;
        if (e.type === 'stratum.response' && e.result === true && e.error === null) ids += e.id as number;
      },
      { borrowsEvents: true },
    );
    const parser = parserOn(bus);
    const chunk = Buffer.from((SUBMIT + ANSWER).repeat(50));
    const parse = jest.spyOn(JSON, 'parse');
    const toString = jest.spyOn(Buffer.prototype, 'toString');
    try {
      parser.push(chunk);
      expect(parse).not.toHaveBeenCalled();
      expect(toString).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
      toString.mockRestore();
    }
    expect(ids).toBe(400);
  });

  it('are fresh plain objects as soon as one listener keeps events', () => {
    const bus = new ProxyEventBus();
    const borrowed: ProxyEvent[] = [];
    const kept: ProxyEvent[] = [];
    bus.subscribe((e) => borrowed.push(e), { borrowsEvents: true });
    bus.subscribe((e) => kept.push(e));
    parserOn(bus).push(Buffer.from(SUBMIT + SUBMIT));
    expect(kept[0]).not.toBe(kept[1]);
    expect(borrowed).toEqual(kept);
    expect(kept[0]).toEqual({
      type: 'stratum.request',
      connectionId: 9,
      t: expect.any(Number),
      direction: 'miner_to_pool',
      id: 4,
      method: 'mining.submit',
      params: ['w.1', '6a5f', '0000abcd', '6553f2a1', '1234abcd'],
    });
  });

  it('are fresh for a line observed while a lent one is out (a listener that feeds the parser)', () => {
    const bus = new ProxyEventBus();
    const parser = parserOn(bus);
    const seen: unknown[] = [];
    const objects: ProxyEvent[] = [];
    let nested = false;
    bus.subscribe(
      (e) => {
        if (e.type !== 'stratum.request') return;
        objects.push(e);
        if (!nested) {
          nested = true;
          parser.push(Buffer.from(SUBMIT.replace('"id":4', '"id":6').replace('"6a5f"', '"77"')));
        }
        seen.push([e.id, e.params[1]]);
      },
      { borrowsEvents: true },
    );
    parser.push(Buffer.from(SUBMIT));
    expect(seen).toEqual([
      [6, '77'],
      [4, '6a5f'],
    ]);
    expect(objects[0]).not.toBe(objects[1]);
  });

  it('stamp every line of a chunk with the chunk time the relay passes', () => {
    const bus = new ProxyEventBus();
    const ts: number[] = [];
    bus.subscribe((e) => ts.push(e.t), { borrowsEvents: true });
    const parser = parserOn(bus);
    parser.push(Buffer.from(SUBMIT + ANSWER + SUBMIT), 1234.5);
    expect(ts).toEqual([1234.5, 1234.5, 1234.5]);
    parser.push(Buffer.from(ANSWER));
    expect(ts[3]).toBeGreaterThan(0);
    expect(ts[3]).not.toBe(1234.5);
  });
});
