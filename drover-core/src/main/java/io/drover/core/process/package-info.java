/**
 * Operating-system processes for user work: starting a command in its own process group, reading its output, and
 * killing its whole tree on cancel or timeout; plus the {@link io.drover.core.process.Cancellation} signal shared
 * by everything that runs an attempt.
 */
package io.drover.core.process;
