/**
 * Workspace sync: listings with hashes, deltas, and changes applied all or none. Safe by construction: no absolute
 * path, no {@code ..}, no link pointing outside the root, no device file, size and count limits; a violation
 * rejects the whole transfer with one clear error.
 */
package io.drover.agent.sync;
