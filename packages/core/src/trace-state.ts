import type { TraceState } from '@opentelemetry/api';
import { isTraceStateKey, isTraceStateValue, TRACESTATE_MAX_MEMBERS, type TraceStateMember } from './tracestate.js';

// The API's own `createTraceState(header)` parses with the old key grammar
// (one `@`, a 241/14 tenant/system split), skipping keys the current spec
// allows, and ignores a header over 512 characters altogether. This one holds
// the members as `parseTraceState` read them, in header order.

/** W3C: propagate at least 512 characters; more is not sent on. */
const TRACESTATE_MAX_LENGTH = 512;
/** W3C: when the list is too long, members longer than this go first. */
const LONG_MEMBER = 128;

const size = ([key, value]: TraceStateMember): number => key.length + 1 + value.length;

/**
 * Whole members removed until the list fits in 512 characters, as W3C says:
 * members longer than 128 characters first, then from the right. The first
 * `keep` members are never removed (one just set stays).
 */
function truncate(members: TraceStateMember[], keep: number): TraceStateMember[] {
  let total = members.reduce((sum, member) => sum + size(member) + 1, -1);
  while (total > TRACESTATE_MAX_LENGTH && members.length > keep) {
    let at = members.length - 1;
    while (at > keep && size(members[at] as TraceStateMember) <= LONG_MEMBER) at--;
    if (size(members[at] as TraceStateMember) <= LONG_MEMBER) at = members.length - 1;
    total -= size(members[at] as TraceStateMember) + 1;
    members.splice(at, 1);
  }
  return members;
}

/** An immutable `tracestate`: `set` and `unset` return a new one. */
export class W3CTraceState implements TraceState {
  private serialized: string | undefined;

  private constructor(private readonly members: readonly TraceStateMember[]) {}

  /** From parsed members (keys unique), truncated to 512 characters. */
  static of(members: readonly TraceStateMember[]): W3CTraceState {
    return new W3CTraceState(truncate([...members], 0));
  }

  /**
   * Puts the member first (W3C: new and updated keys go to the left), then
   * removes from the right past 32 members or 512 characters. A key or value
   * the grammar does not allow leaves the state unchanged.
   */
  set(key: string, value: string): W3CTraceState {
    if (!isTraceStateKey(key) || !isTraceStateValue(value)) return this;
    const members: TraceStateMember[] = [[key, value]];
    for (const member of this.members) if (member[0] !== key) members.push(member);
    return new W3CTraceState(truncate(members.slice(0, TRACESTATE_MAX_MEMBERS), 1));
  }

  unset(key: string): W3CTraceState {
    if (this.get(key) === undefined) return this;
    return new W3CTraceState(this.members.filter(([k]) => k !== key));
  }

  get(key: string): string | undefined {
    for (const [k, value] of this.members) if (k === key) return value;
    return undefined;
  }

  serialize(): string {
    this.serialized ??= this.members.map(([key, value]) => `${key}=${value}`).join(',');
    return this.serialized;
  }
}
