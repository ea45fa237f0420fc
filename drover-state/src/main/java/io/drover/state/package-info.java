/**
 * The state store on SQLite and PostgreSQL: one {@link io.drover.state.JdbcStateStore} with a {@link
 * io.drover.state.Dialect} for what the two databases write differently (the version sequence, connecting,
 * creating the schema under a lock), a small {@link io.drover.state.JdbcPool}, and the provider that opens
 * {@code sqlite:} and {@code postgres://} URLs.
 */
package io.drover.state;
