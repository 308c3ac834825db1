/**
 * The owner's close hook: the key of a stream's method that calls back once when the stream has
 * closed. Its server needs to hear every connection's close (to count it and free its handshake
 * slot); a subscription to closed$ for that costs every connection a subscriber, its observer, a
 * teardown list and the ReplaySubject, for as long as it lives (docs/architecture.md, "Memory per
 * idle connection"). Not exported from the package: applications use closed$.
 */
export const WHEN_CLOSED: unique symbol = Symbol('rxtls.whenClosed');
