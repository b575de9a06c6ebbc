import { IntrospectionCircuitOpenError } from '../errors/introspection.errors';
import { CircuitBreaker, CircuitBreakerListener } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let time: number;
  let transitions: string[];
  const listener: CircuitBreakerListener = {
    opened: (failures) => transitions.push(`opened after ${failures}`),
    halfOpened: () => transitions.push('half-opened'),
    closed: () => transitions.push('closed'),
  };
  const breaker = () => new CircuitBreaker(3, 10_000, { now: () => time }, listener);

  function refusal(b: CircuitBreaker): IntrospectionCircuitOpenError {
    try {
      b.acquire();
    } catch (error) {
      expect(error).toBeInstanceOf(IntrospectionCircuitOpenError);
      return error as IntrospectionCircuitOpenError;
    }
    throw new Error('expected the breaker to refuse the call');
  }

  beforeEach(() => {
    time = 1_000_000;
    transitions = [];
  });

  it('lets calls through while failures stay below the threshold', () => {
    const b = breaker();
    for (let i = 0; i < 10; i++) {
      b.acquire();
      b.failed();
      b.acquire();
      b.failed();
      b.acquire();
      b.succeeded();
    }
    expect(b.current).toBe('closed');
    expect(transitions).toEqual([]);
  });

  it('opens after the threshold of consecutive failures and refuses with the rest of the cool-down', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) {
      b.acquire();
      b.failed();
    }
    expect(b.current).toBe('open');
    expect(transitions).toEqual(['opened after 3']);
    expect(refusal(b).retryAfter).toBe(10);
    time += 2_500;
    expect(refusal(b).retryAfter).toBe(8);
    time += 7_499;
    expect(refusal(b).retryAfter).toBe(1);
  });

  it('lets exactly one probe through after the cool-down; its success closes the breaker', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) {
      b.failed();
    }
    time += 10_000;
    b.acquire();
    expect(b.current).toBe('half_open');
    expect(refusal(b)).toBeInstanceOf(IntrospectionCircuitOpenError);
    b.succeeded();
    expect(b.current).toBe('closed');
    b.acquire();
    expect(transitions).toEqual(['opened after 3', 'half-opened', 'closed']);
  });

  it('opens again for a full cool-down when the probe fails', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) {
      b.failed();
    }
    time += 10_000;
    b.acquire();
    b.failed();
    expect(b.current).toBe('open');
    expect(refusal(b).retryAfter).toBe(10);
    expect(transitions).toEqual(['opened after 3', 'half-opened', 'opened after 4']);
  });

  it('lets another probe through when one ends saying nothing about the endpoint', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) {
      b.failed();
    }
    time += 10_000;
    b.acquire();
    b.released();
    b.acquire();
    expect(b.current).toBe('half_open');
  });
});
