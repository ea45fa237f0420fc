/**
 * Benchmarks, each run by one command under {@code bench/} against real processes (its own redis-server on a free
 * port, real workers, controllers and agents); docs/benchmarks.md gives their figures and how they were taken.
 */
package io.drover.bench;
