/**
 * The immutable workflow model. Everything here is a value: records that are safe to share between threads and
 * that carry no Lua or transport objects, so a workflow can cross a process boundary as its source text plus
 * these values.
 */
package io.drover.core.model;
