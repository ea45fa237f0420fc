/**
 * State for tasks: named values, counters, capped lists and locks that outlive a task and a run, in namespaces
 * ("scopes"), behind one interface ({@link io.drover.core.state.StateStore}) that SQLite, PostgreSQL and Redis
 * implement. Promises every store keeps: a value's version changes on every write and never repeats, so a
 * compare-and-set cannot succeed against a value deleted and written again; a lock's fencing token is larger than
 * every token handed out before it; a lock whose holder died expires with its time to live; a value or list entry
 * is at most {@link io.drover.core.state.StateLimits#MAX_VALUE_BYTES}.
 */
package io.drover.core.state;
