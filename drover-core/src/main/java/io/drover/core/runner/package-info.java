/**
 * The only code that runs user work: {@link io.drover.core.runner.TaskRunner} runs one attempt of a task (a shell
 * command in its own process group, a Lua function, or a {@link io.drover.core.runner.TaskKind} plugin), enforces
 * its timeout and honours cancellation. Every dispatcher, local or remote, ends up here.
 */
package io.drover.core.runner;
